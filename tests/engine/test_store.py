"""The run store: TOML round trip, manifest, list and compare; and a killed run resumed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from engine import store
from engine.cli import main
from engine.compare import compare_runs
from engine.config import RunConfig, from_dict, to_dict
from engine.results import StoredResultsError
from engine.store import flatten, list_runs, read_json, to_toml

from .test_cli import FAST_RUN

ROOT = Path(__file__).resolve().parents[2]

#: test_cli's quick job with quarterly refits and a small GRU in place of its EWMA.
SMALL = (
    FAST_RUN.replace('name = "quick"', 'name = "small"')
    .replace('start = "2016-01-01"\n', 'start = "2016-01-01"\nrefit_every = "quarter"\n')
    .replace(
        'name = "ewma"\ntype = "ewma"\n',
        'name = "gru"\ntype = "rnn"\ncell = "gru"\nhidden = [8]\nepochs = 4\nseq_len = 10\n',
    )
)


def test_the_small_job_is_what_its_comment_says():
    small = from_dict(tomllib.loads(SMALL))
    assert (small.name, small.walkforward.refit_every) == ("small", "quarter")
    assert [f.name for f in small.forecasters] == ["loghar", "gru"]


def test_config_round_trips_through_toml():
    for cfg in (RunConfig(), from_dict(tomllib.loads(SMALL))):
        assert from_dict(tomllib.loads(to_toml(to_dict(cfg)))) == cfg


def test_flatten_keys_tables_by_name():
    flat = flatten({"a": {"b": 1}, "forecasters": [{"name": "x", "type": "har"}]})
    assert flat == {"a.b": 1, "forecasters.x.type": "har"}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    cfg = root / "small.toml"
    cfg.write_text(SMALL)
    assert main(["run", str(cfg), "--root", str(root), "--no-tearsheets"]) == 0
    (run,) = [p for p in root.iterdir() if p.is_dir()]
    return root, run


def test_run_folder_holds_everything(finished):
    _, run = finished
    for name in (
        "config.toml",
        "manifest.json",
        "forecasts.parquet",
        "weights.parquet",
        "returns.parquet",
        "metrics.json",
        "report.html",
        "scores.pickle",
    ):
        assert (run / name).exists(), name
    m = read_json(run / "manifest.json")
    assert m["status"] == "complete" and m["models"] == ["loghar", "gru"] and m["seeds"] == {"gru": 0}
    assert {"numpy", "pandas", "torch", "vectorbt"} <= set(m["packages"]) and len(m["data_hash"]) == 16
    assert set(m["timings"]) == {"data_and_features", "walk_forward", "metrics_and_strategies", "report"}
    metrics = read_json(run / "metrics.json")
    assert {r["model"] for r in metrics["leaderboard"]} == {"loghar", "gru"}
    assert {r["strategy"] for r in metrics["strategies"]} == {"vol_target", "regime", "-"}
    fc = pd.read_parquet(run / "forecasts.parquet")
    assert list(fc.columns) == ["loghar", "gru", "fold"]


def test_list_report_and_compare(finished, capsys, tmp_path):
    root, run = finished
    runs = list_runs(root)
    assert runs["status"].tolist() == ["complete"] and runs["best qlike"].iloc[0].split()[0] in {"loghar", "gru"}
    before = (run / "report.html").stat().st_mtime
    assert main(["report", str(run), "--no-tearsheets"]) == 0
    assert (run / "report.html").stat().st_mtime >= before
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.toml").write_text((run / "config.toml").read_text())
    with pytest.raises(
        StoredResultsError,
        match=r"has no stored features.parquet.*Hint: a run made by an older tradecast, or one that did not finish",
    ):
        compare_runs(run, empty)  # no results to compare: refused, not a column of NaN
    other = tmp_path / "other"
    shutil.copytree(run, other)
    (other / "config.toml").write_text(
        (run / "config.toml").read_text().replace("regime_lookback = 60", "regime_lookback = 90")
    )
    diff, forecasts, strategies = compare_runs(run, other)
    assert diff.index.tolist() == ["strategy.regime_lookback"]
    assert (forecasts["difference"] == 0).all() and set(forecasts.index.get_level_values("model")) == {"loghar", "gru"}
    assert (strategies["difference"] == 0).all() and len(strategies) == 5
    capsys.readouterr()
    assert main(["list", "--root", str(root)]) == 0
    assert run.name in capsys.readouterr().out
    assert main(["compare", str(run), str(tmp_path)]) == 1
    assert "not a tradecast run folder" in capsys.readouterr().err


def test_report_of_an_unfinished_run_is_refused(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('{"status": "running"}')
    assert main(["report", str(tmp_path)]) == 1
    assert "did not finish (status 'running'); finish it with: tradecast run --resume" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_run_resumes_with_the_same_results(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL)
    env = {**os.environ, "CI": "true"}
    exe = [sys.executable, "-m", "engine.cli"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*exe, "run", str(cfg), "--run-dir", str(killed), "--no-tearsheets"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while len(list((killed / "folds").rglob("*.parquet"))) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in (killed / "folds").rglob("*.parquet")}
    assert done_before and read_json(killed / "manifest.json")["status"] == "running"
    assert not (killed / "report.html").exists()
    subprocess.run(
        [*exe, "run", "--resume", str(killed), "--no-tearsheets"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    after = {p.name: p.stat().st_mtime_ns for p in (killed / "folds").rglob("*.parquet")}
    assert all(after[n] == t for n, t in done_before.items()), "finished folds were not fitted again"
    assert read_json(killed / "manifest.json")["status"] == "complete"
    clean = tmp_path / "clean"
    subprocess.run(
        [*exe, "run", str(cfg), "--run-dir", str(clean), "--no-tearsheets"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "forecasts.parquet"), pd.read_parquet(clean / "forecasts.parquet")
    )
    assert read_json(killed / "metrics.json") == read_json(clean / "metrics.json")


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_report_reads_stored_results_and_fits_nothing(finished, tmp_path, monkeypatch, capsys):
    _, run = finished
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    before = _tree(copy)
    manifest = read_json(copy / "manifest.json")
    manifest.pop("rendered", None)  # another test may have re-rendered the shared run already

    def refuse(*args, **kwargs):
        raise AssertionError("a re-render must not fit a model or read a data source")

    monkeypatch.setattr("engine.__version__", "99.0.0")  # a version bump changed every cache key before
    monkeypatch.setattr("signals.base.BaseForecaster.fit", refuse)
    monkeypatch.setattr("signals.base.BaseForecaster.fit_pooled", refuse)
    monkeypatch.setattr("engine.data.load", refuse)
    monkeypatch.setattr("engine.job.prepare", refuse)
    assert main(["report", str(copy), "--no-tearsheets"]) == 0
    out = capsys.readouterr().out
    assert "nothing was refitted" in out and "read the stored results of 2 models on 1 symbol(s)" in out, (
        "the terminal says what it does"
    )
    after = _tree(copy)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {"manifest.json", "report.html"}
    new = read_json(copy / "manifest.json")
    rendered = new.pop("rendered")
    assert new == manifest, "the run's provenance (finished, timings, versions) is left as the run wrote it"
    assert rendered["tradecast"] == "99.0.0" and rendered["fitted"] == "nothing"
    text = (copy / "report.html").read_text()
    assert "nothing was refitted and no data source was read" in text
    # the same numbers as the run's own report: the leaderboard cells are identical
    original = (run / "report.html").read_text()
    board = lambda t: t[t.index('id="leaderboard"') : t.index('id="regimes"')]  # noqa: E731
    assert board(text) == board(original)


def test_report_uses_the_kept_scores_and_rescore_scores_again(finished, tmp_path, monkeypatch, capsys):
    _, run = finished
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert (copy / "scores.pickle").exists(), "the run keeps what scoring computed"
    # a re-render with kept scores imports neither torch (a network's config) nor vectorbt (the strategies)
    code = (
        "import sys; from engine.cli import main; "
        f"assert main(['report', {str(copy)!r}, '--no-tearsheets']) == 0; "
        "print('torch' in sys.modules, 'vectorbt' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stdout
    assert "the run's kept scores match them" in out.stdout
    assert read_json(copy / "manifest.json")["rendered"]["scores"] == "kept (scores.pickle)"
    kept = (copy / "report.html").read_text()

    def refuse(*args, **kwargs):
        raise AssertionError("kept scores are not computed again")

    with monkeypatch.context() as m:
        m.setattr("engine.scoring.score_and_trade", refuse)
        assert main(["report", str(copy), "--no-tearsheets"]) == 0
    assert main(["report", str(copy), "--no-tearsheets", "--rescore"]) == 0
    assert "scoring and trading them" in capsys.readouterr().out
    assert read_json(copy / "manifest.json")["rendered"]["scores"] == "scored again"
    again = (copy / "report.html").read_text()
    cut = lambda t: t[t.index('id="leaderboard"') : t.index("</body>")]  # noqa: E731
    assert _no_times(cut(again)) == _no_times(cut(kept)), "kept and fresh scores give the same report"


def _no_times(text: str) -> str:
    import re

    # the figures' PNG bytes are left out: the first render ran in another process (other font caches)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "", text)


def test_report_refuses_without_stored_results(finished, tmp_path, capsys):
    _, run = finished
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "features.parquet").unlink()
    assert main(["report", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "has no stored features.parquet: its results cannot be re-rendered without fitting again" in err
    raw = (copy / "forecasts.parquet").read_bytes()
    (copy / "features.parquet").write_bytes(raw[: len(raw) // 2])
    assert main(["report", str(copy)]) == 1
    assert "a stored result file is damaged" in capsys.readouterr().err


def test_compare_uses_the_dates_both_runs_have(tmp_path):
    from core.evaluation.losses import qlike
    from engine.config import from_dict
    from engine.job import run_job

    def run(name: str, start: str) -> Path:
        cfg = from_dict(
            {
                "name": name,
                "walkforward": {"start": start},
                "strategy": {"regime_lookback": 60},
                "forecasters": [{"name": "loghar", "type": "har", "log": True}],
            }
        )
        run_job(cfg, tmp_path / name, tearsheets=False, echo=lambda *_: None)
        return tmp_path / name

    a, b = run("a", "2015-01-01"), run("b", "2017-01-01")
    _, forecasts, strategies = compare_runs(a, b)
    row = forecasts.loc[("SP500", "loghar")]
    fa = pd.read_parquet(a / "forecasts.parquet").xs("SP500", level="symbol")
    fb = pd.read_parquet(b / "forecasts.parquet").xs("SP500", level="symbol")
    common = fa.index.intersection(fb.index)
    assert row["from"] == str(common[0].date()) and row["n"] == len(common)
    feats = pd.read_parquet(a / "features.parquet").xs("SP500", level="symbol")
    y = feats["rv"].reindex(common)
    assert row["a"] == pytest.approx(qlike(y.to_numpy(), fa.loc[common, "loghar"].to_numpy()), rel=1e-12)
    assert row["b"] == pytest.approx(qlike(y.to_numpy(), fb.loc[common, "loghar"].to_numpy()), rel=1e-12)
    assert row["a"] != pytest.approx(
        qlike(feats["rv"].reindex(fa.index).to_numpy(), fa["loghar"].to_numpy()), rel=1e-6
    ), "not a's own window"
    assert (strategies["from"] >= "2017-01-01").all()


def test_list_is_newest_first_and_survives_damaged_folders(tmp_path):
    for name, started in (
        ("old", "2026-01-01T00:00:00"),
        ("new", "2026-06-01T00:00:00"),
        ("mid", "2026-03-01T00:00:00"),
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text(
            f'{{"status": "complete", "started": "{started}", "models": ["a"]}}'
        )
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text('{"status": "comp')
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "manifest.json").write_text(
        '{"status": "failed", "started": "2026-02-01T00:00:00", "error": "DataError: bad bar"}'
    )
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "manifest.json").write_text('{"status": "complete", "started": "2026-05-01T00:00:00"}')
    board = [
        {"symbol": s, "model": m, "target": "variance", "horizon": h, "qlike": q}
        for s, m, h, q in (
            ("A", "gru", 1, 0.30),
            ("A", "har", 1, 0.35),
            ("B", "har", 1, 0.50),
            ("B", "gru", 1, 0.55),
            ("B", "h5", 5, 0.10),
        )
    ]
    store.write_json(tmp_path / "two" / "metrics.json", {"leaderboard": board})
    runs = list_runs(tmp_path)
    assert runs["run"].tolist()[:5] == ["new", "two", "mid", "failed", "old"] and runs["run"].iloc[-1] == "broken"
    assert runs.set_index("run").loc["broken", "status"] == "unreadable"
    assert runs.set_index("run").loc["failed", "best qlike"] == "error: DataError: bad bar"
    # best per symbol, among 1-day variance models: never the 5-day model, never a min across assets
    assert runs.set_index("run").loc["two", "best qlike"] == "A: gru (0.3); B: har (0.5)"


def test_a_failed_report_leaves_the_run_as_it_was(finished, tmp_path, monkeypatch):
    _, run = finished
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    before = _tree(copy)

    def broken(inputs):
        raise RuntimeError("a figure failed")

    monkeypatch.setattr("reports.html.render", broken)
    with pytest.raises(RuntimeError, match="a figure failed"):
        main(["report", str(copy), "--no-tearsheets"])
    assert _tree(copy) == before, "status, report and every other file as they were; no temporary file left"


def test_compare_refuses_a_damaged_returns_file(finished, tmp_path, capsys):
    _, run = finished
    other = tmp_path / "other"
    shutil.copytree(run, other)
    raw = (other / "returns.parquet").read_bytes()
    (other / "returns.parquet").write_bytes(raw[: len(raw) // 2])
    assert main(["compare", str(run), str(other)]) == 1
    assert "returns.parquet is damaged" in capsys.readouterr().err


def test_a_damaged_config_or_manifest_is_a_message(tmp_path, capsys):
    from engine.cli import main

    for name, text in (("a", 'name = "a"\n'), ("b", '[walkforward\nstart = "20')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text(text)
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    assert "config.toml is damaged" in capsys.readouterr().err
    # a truncated manifest before --resume: an error line, not a JSON traceback
    (tmp_path / "a" / "manifest.json").write_text('{"status": "runn')
    assert main(["run", "--resume", str(tmp_path / "a")]) == 1
    assert "manifest.json is not readable JSON" in capsys.readouterr().err
