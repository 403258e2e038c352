"""The scores a run keeps for re-rendering: what is kept, and when it is no longer used."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from engine.results import RESULT_FILES
from engine.scores import SCORES_FILE, load_scores, save_scores, scores_key, without_portfolios
from strategies.backtest import BacktestResult
from strategies.portfolio import PortfolioResult


def _backtest(portfolio=None) -> BacktestResult:
    s = pd.Series([0.01, -0.02], index=pd.date_range("2020-01-01", periods=2), name="r")
    return BacktestResult(portfolio, s, s, s, s, s, pd.DataFrame({"x": [1.0]}))


@pytest.fixture
def run(tmp_path):
    for name in (*RESULT_FILES, "config.toml"):
        (tmp_path / name).write_bytes(name.encode() * 10)
    return tmp_path


def test_every_backtest_loses_its_vectorbt_portfolio_wherever_it_sits():
    marker = object()
    outcome = {
        "a": {"vol_target": _backtest(marker)},
        "risk": ("table", [_backtest(marker)]),
        "portfolio": PortfolioResult(None, {("m", "s"): _backtest(marker)}, {}),
        "other": marker,
    }
    out = without_portfolios(outcome)
    assert out["a"]["vol_target"].portfolio is None and out["risk"][1][0].portfolio is None
    assert out["portfolio"].backtests[("m", "s")].portfolio is None and isinstance(out["portfolio"], PortfolioResult)
    assert out["other"] is marker, "what is not a backtest is kept as it is"
    pd.testing.assert_series_equal(out["a"]["vol_target"].returns, outcome["a"]["vol_target"].returns)
    assert outcome["a"]["vol_target"].portfolio is marker, "the caller's objects are not changed"


def test_kept_scores_come_back_until_a_file_they_depend_on_changes(run):
    assert load_scores(run) is None, "none kept yet"
    outcome = {"board": pd.DataFrame({"qlike": [1.5, 1.2]}, index=["a", "b"]), "bt": _backtest(object())}
    save_scores(run, outcome)
    back = load_scores(run)
    pd.testing.assert_frame_equal(back["board"], outcome["board"])
    assert back["bt"].portfolio is None and dataclasses.is_dataclass(back["bt"])
    for name in (*RESULT_FILES, "config.toml"):
        before = (run / name).read_bytes()
        (run / name).write_bytes(before + b" ")
        assert load_scores(run) is None, f"{name} changed: the kept scores are stale"
        (run / name).write_bytes(before)
        assert load_scores(run) is not None


def test_damaged_or_foreign_scores_are_not_read(run):
    save_scores(run, {"x": 1})
    raw = (run / SCORES_FILE).read_bytes()
    (run / SCORES_FILE).write_bytes(raw[: len(raw) - 3])
    assert load_scores(run) is None
    (run / SCORES_FILE).write_bytes(b"not a tradecast file")
    assert load_scores(run) is None
    assert len(scores_key(run)) == 64


def test_the_key_changes_with_the_packages(run, monkeypatch):
    before = scores_key(run)
    monkeypatch.setattr("engine.scores._package_versions", lambda: "vectorbt=9.9")
    assert scores_key(run) != before


class _Runs:
    """Pickles as a call of ``func(*args)``: what a crafted file would do."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize(
    "call",
    [
        lambda p: _Runs(__import__("os").system, f"touch {p}"),
        lambda p: _Runs(eval, f"open({str(p)!r}, 'w')"),
        lambda p: _Runs(pd.HDFStore, str(p), "w"),
        lambda p: _Runs(pd.read_pickle, str(p)),
        lambda p: _Runs(__import__("numpy").memmap, str(p), "float64", "w+", 0, (4,)),
    ],
    ids=["os.system", "eval", "pandas.HDFStore", "pandas.read_pickle", "numpy.memmap"],
)
def test_a_crafted_scores_file_runs_nothing(run, call):
    import pickle

    from engine import scores

    target = run / "pwned"
    payload = pickle.dumps({"x": call(target)})
    (run / SCORES_FILE).write_bytes(scores._MAGIC + scores_key(run).encode() + b"\n" + payload)
    assert load_scores(run) is None, "refused, so the run is scored again"
    assert not target.exists(), "and nothing it named ran"


def test_a_re_render_writes_its_report_when_the_scores_cannot_be_kept(monkeypatch):
    from engine import job

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    said = []
    monkeypatch.setattr(job, "save_scores", full)
    monkeypatch.setattr(job, "load_scores", lambda run_dir: None)
    monkeypatch.setattr(job.scoring, "score_and_trade", lambda config, result: "scored")
    result = type("R", (), {"models": {}, "symbols": []})()
    outcome, kept = job._scores_of(Path("."), None, result, rescore=False, since=0.0, echo=said.append)
    assert outcome == "scored" and kept is False
    assert any("could not be kept" in line and "No space left" in line for line in said)


def test_the_scores_are_keyed_on_the_packages_the_run_summary_lists():
    from engine.scores import _package_versions
    from engine.stages import NUMBER_PACKAGES, package_versions

    assert "numba" in NUMBER_PACKAGES and "scipy" in NUMBER_PACKAGES, "the equal-risk solver and the tests' statistics"
    keyed = dict(item.split("=", 1) for item in _package_versions().split(","))
    assert list(keyed) == list(NUMBER_PACKAGES)
    assert {k: v for k, v in keyed.items() if v != "none"} == package_versions()
