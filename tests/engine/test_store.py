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

from engine.cli import main
from engine.config import RunConfig, from_dict, to_dict
from engine.results import StoredResultsError
from engine.store import compare_runs, flatten, list_runs, read_json, to_toml

ROOT = Path(__file__).resolve().parents[2]

SMALL = """
name = "small"
[walkforward]
start = "2016-01-01"
refit_every = "quarter"
[strategy]
regime_lookback = 60
[[forecasters]]
name = "loghar"
type = "har"
log = true
[[forecasters]]
name = "gru"
type = "rnn"
cell = "gru"
hidden = [8]
epochs = 4
seq_len = 10
"""


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
    for name in ("config.toml", "manifest.json", "forecasts.parquet", "weights.parquet", "returns.parquet", "metrics.json", "report.html"):
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
    with pytest.raises(StoredResultsError, match=r"has no stored features.parquet.*Hint: a run made by an older tradecast, or one that did not finish"):
        compare_runs(run, empty)  # no results to compare: refused, not a column of NaN
    other = tmp_path / "other"
    shutil.copytree(run, other)
    (other / "config.toml").write_text((run / "config.toml").read_text().replace("regime_lookback = 60", "regime_lookback = 90"))
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


def test_killed_run_resumes_with_the_same_results(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL)
    env = {**os.environ, "CI": "true"}
    exe = [sys.executable, "-m", "engine.cli"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*exe, "run", str(cfg), "--run-dir", str(killed), "--no-tearsheets"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list((killed / "folds").rglob("*.parquet"))) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in (killed / "folds").rglob("*.parquet")}
    assert done_before and read_json(killed / "manifest.json")["status"] == "running"
    assert not (killed / "report.html").exists()
    subprocess.run([*exe, "run", "--resume", str(killed), "--no-tearsheets"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    after = {p.name: p.stat().st_mtime_ns for p in (killed / "folds").rglob("*.parquet")}
    assert all(after[n] == t for n, t in done_before.items()), "finished folds were not fitted again"
    assert read_json(killed / "manifest.json")["status"] == "complete"
    clean = tmp_path / "clean"
    subprocess.run([*exe, "run", str(cfg), "--run-dir", str(clean), "--no-tearsheets"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "forecasts.parquet"), pd.read_parquet(clean / "forecasts.parquet"))
    assert read_json(killed / "metrics.json") == read_json(clean / "metrics.json")
