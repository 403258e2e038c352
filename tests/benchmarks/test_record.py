"""make bench records each benchmark's output in benchmarks/results.md, a section per benchmark."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("_record", ROOT / "benchmarks" / "_record.py")
record = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record)


def test_sections_are_written_kept_and_replaced(tmp_path):
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    (bench / "alpha.py").write_text("print('ratio 2.50')\n")
    (bench / "beta.py").write_text("import sys\nprint('half done')\nsys.exit(3)\n")
    assert record.main([], root=tmp_path) == 1  # beta failed
    text = (bench / "results.md").read_text()
    parts = record.sections(text)
    assert list(parts) == ["alpha", "beta"]
    assert "ratio 2.50" in parts["alpha"] and "python benchmarks/alpha.py" in parts["alpha"]
    assert "FAILED (exit 3)" in parts["beta"] and "half done" in parts["beta"]
    assert "cores" in parts["alpha"]  # the machine is named

    (bench / "alpha.py").write_text("print('ratio 3.00')\n")
    assert record.main(["alpha"], root=tmp_path) == 0
    parts = record.sections((bench / "results.md").read_text())
    assert "ratio 3.00" in parts["alpha"] and "ratio 2.50" not in parts["alpha"]
    assert "FAILED (exit 3)" in parts["beta"]  # a benchmark not rerun keeps its section


def test_an_unknown_benchmark_is_refused(tmp_path, capsys):
    (tmp_path / "benchmarks").mkdir()
    assert record.main(["nope"], root=tmp_path) == 2
    assert "no benchmark named nope" in capsys.readouterr().err
