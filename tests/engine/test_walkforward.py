"""The walk-forward loop: equivalence with hand fits, executors, cache, resume, audit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from engine.splits import Schedule, WalkForward
from engine.walkforward import ProgressLines, walk_forward
from signals.audit import CausalityError
from signals.batched import BatchedRnnUniverse, default_net
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from signals.naive import EwmaForecaster
from signals.rnn import RnnForecaster
from tests.engine.slow_models import CoreCounter, Leaky, LoggedHar
from tests.signals.frames import nasdaq, sp500

ROOT = Path(__file__).resolve().parents[2]
SPLIT = WalkForward(start="2008-01-01", refit_every="year")
TINY_RNN = dict(hidden=(8,), seq_len=10, epochs=3, warm_epochs=2, batch_size=128, features=("rv", "return"))


@pytest.fixture(scope="module")
def frame():
    return sp500()


@pytest.fixture(scope="module")
def models():
    return {
        "garch": GarchForecaster(),
        "loghar": HarForecaster(log=True),
        "ewma": EwmaForecaster(),
        "lstm": RnnForecaster(**TINY_RNN),
    }


@pytest.fixture(scope="module")
def cold(frame, models):
    return walk_forward(frame, models, SPLIT)


def test_result_shape(frame, cold):
    fc = cold.for_symbol()
    assert list(fc.columns) == ["garch", "loghar", "ewma", "lstm", "fold"]
    test_dates = frame.loc["2008-01-01":].index
    assert fc.index.equals(test_dates)
    assert fc["fold"].tolist() == [d.year - 2008 for d in test_dates]
    assert fc.drop(columns="fold").notna().all().all()
    assert set(cold.fits.columns) >= {"fit_seconds", "n_train", "converged", "best_epoch"}
    assert len(cold.fits) == 4 * 3  # models x folds (2008, 2009, 2010)
    converged = cold.fits.loc[("SP500", "garch", 0), "converged"]
    assert isinstance(converged, bool | np.bool_) and converged, f"GARCH on 2000-2007 converges; got {converged!r}"
    assert len(cold.histories) == 3  # the network's training curves, one per fold
    score = cold.score()
    assert list(score.columns) == ["n", "qlike", "mse"] and (score["qlike"] > 0).all()


def test_engine_forecast_equals_a_fit_by_hand(frame, models, cold):
    fc = cold.for_symbol()
    rng = np.random.default_rng(0)
    for fold in cold.folds["SP500"]:
        train = frame.iloc[fold.train]
        dates = pd.DatetimeIndex(rng.choice(frame.index[fold.test], 5, replace=False))
        for name, model in models.items():
            by_hand = model.clone().fit(train).predict(frame, dates)
            np.testing.assert_allclose(
                fc.loc[dates, name].to_numpy(), by_hand.to_numpy(), rtol=1e-12, err_msg=f"{name} fold {fold.id}"
            )


def test_warm_start_equals_a_warm_chain_by_hand(frame, models):
    warm = walk_forward(frame, {"lstm": models["lstm"], "garch": models["garch"]}, SPLIT, refits="warm")
    assert warm.fits.xs("lstm", level="model")["warm"].tolist() == [False, True, True]
    prev = None
    for fold in warm.folds["SP500"]:
        m = models["lstm"].clone()
        m.fit(frame.iloc[fold.train], warm_start=prev) if prev is not None else m.fit(frame.iloc[fold.train])
        dates = frame.index[fold.test]
        np.testing.assert_allclose(warm.for_symbol().loc[dates, "lstm"], m.predict(frame, dates), rtol=1e-12)
        prev = m
    assert (warm.fits.xs("lstm", level="model")["best_epoch"].iloc[1:] <= TINY_RNN["warm_epochs"]).all()


def test_two_processes_give_identical_output(frame, models, cold):
    par = walk_forward(frame, models, SPLIT, n_jobs=2)
    pd.testing.assert_frame_equal(par.forecasts, cold.forecasts)


def test_a_job_that_runs_alone_is_lent_every_core(frame):
    # one job (a year's monthly folds, one segment) with nothing beside it: both cores
    year = WalkForward(start="2010-01-01", refit_every="month")
    alone = walk_forward(frame, {"har": CoreCounter()}, year, n_jobs=2)
    assert len(alone.fits) == 12 and (alone.fits["cores"] == 2).all()
    # two jobs at once: one core each; one process: one core
    both = walk_forward(frame, {"har": CoreCounter(), "ewma": EwmaForecaster()}, year, n_jobs=2)
    assert (both.fits.xs("har", level="model")["cores"] == 1).all()
    assert (walk_forward(frame, {"har": CoreCounter()}, year).fits["cores"] == 1).all()


def test_a_lone_pooled_warm_chain_on_two_cores_gives_the_numbers_of_one(frame):
    # max_steps=4 makes the first fold's batches about 900 windows: sharded, the
    # shards run in two threads with n_jobs=2 and one after another with n_jobs=1
    frames = {"SPX": frame, "NDX": nasdaq()}
    gru = RnnForecaster(**{**TINY_RNN, "cell": "gru", "max_steps": 4})
    one = walk_forward(frames, {"gru": gru}, SPLIT, pooled=True, refits="warm")
    two = walk_forward(frames, {"gru": gru}, SPLIT, pooled=True, refits="warm", n_jobs=2)
    pd.testing.assert_frame_equal(two.forecasts, one.forecasts, check_exact=True)


@pytest.mark.slow
def test_ray_gives_identical_output(frame, models, cold):
    if not os.environ.get("CI"):
        pytest.importorskip("ray", reason="the 'ray' extra is not installed (make test installs it)")
    import ray  # under CI a missing Ray fails the test: the suite must exercise it

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        out = walk_forward(frame, models, SPLIT, n_jobs=2, executor="ray")
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(out.forecasts, cold.forecasts)


def test_universe_fits_one_model_per_asset(frame):
    other = frame * 1.0
    other["rv"] = frame["rv"] * 2.0
    res = walk_forward({"A": frame, "B": other}, {"har": HarForecaster()}, SPLIT)
    assert res.symbols == ["A", "B"]
    # doubling rv doubles a linear HAR's forecasts: a separate model was fitted on B
    np.testing.assert_allclose(res.for_symbol("B")["har"], 2 * res.for_symbol("A")["har"], rtol=1e-9)
    assert res.score().index.get_level_values("symbol").tolist() == ["A", "B"]


def test_pooled_network_is_one_fit_across_assets(frame, tmp_path):
    frames = {"SPX": frame, "NDX": nasdaq()}
    models = {"lstm": RnnForecaster(**TINY_RNN), "har": HarForecaster()}
    res = walk_forward(frames, models, SPLIT, pooled=True, run_dir=tmp_path)
    for fold in res.folds["SPX"]:
        by_hand = RnnForecaster(**TINY_RNN).fit_pooled({s: f.iloc[fold.train] for s, f in frames.items()})
        for sym, f in frames.items():
            dates = f.index[fold.test]
            np.testing.assert_allclose(res.for_symbol(sym).loc[dates, "lstm"], by_hand.predict(f, dates), rtol=1e-12)
    # HAR cannot pool: it stays one model per asset
    har_b = (
        HarForecaster()
        .fit(frames["NDX"].iloc[res.folds["NDX"][0].train])
        .predict(frames["NDX"], frames["NDX"].index[res.folds["NDX"][0].test])
    )
    np.testing.assert_allclose(res.for_symbol("NDX").loc[har_b.index, "har"], har_b, rtol=1e-12)
    # one pooled fit serves both assets: each is charged half of it, not the whole
    lstm = res.fits.xs("lstm", level="model")
    assert (lstm["shared_by"] == 2).all() and (res.fits.xs("har", level="model")["shared_by"] == 1).all()
    np.testing.assert_allclose(lstm.xs("SPX")["fit_seconds"], lstm.xs("NDX")["fit_seconds"])
    again = walk_forward(frames, models, SPLIT, pooled=True, run_dir=tmp_path)
    assert again.fits["cached"].all()
    pd.testing.assert_frame_equal(again.fits.drop(columns="cached"), res.fits.drop(columns="cached"))
    pd.testing.assert_frame_equal(again.forecasts, res.forecasts)


def test_universe_trained_as_one_grouped_model_equals_one_fit_per_asset(frame):
    # pooled=True hands BatchedRnnUniverse every asset of a fold at once (one grouped
    # model); pooled=False fits it per asset. Same forecasts, to float32 training's precision.
    frames = {"SPX": frame, "NDX": nasdaq()}
    spec = dict(hidden=(8,), seq_len=10, epochs=3, batch_size=128, features=("rv", "return"))
    together = walk_forward(
        frames, {"gru": BatchedRnnUniverse(net=default_net().set_params(**spec))}, SPLIT, pooled=True
    )
    apart = walk_forward(frames, {"gru": BatchedRnnUniverse(net=default_net().set_params(**spec))}, SPLIT, pooled=False)
    assert len(together.fits) == len(apart.fits) == 2 * 3
    np.testing.assert_allclose(together.forecasts["gru"], apart.forecasts["gru"], rtol=1e-4)


def test_pooling_needs_a_shared_calendar(frame):
    other = nasdaq().drop(index=pd.Timestamp("2009-06-01"))
    with pytest.raises(
        ParameterError,
        match=r"pooled=True needs the assets to share trading dates, but the folds of NDX and SPX differ",
    ):
        walk_forward({"SPX": frame, "NDX": other}, {"lstm": RnnForecaster(**TINY_RNN)}, SPLIT, pooled=True)


def test_rerun_reads_finished_folds_from_run_dir(frame, tmp_path, monkeypatch):
    log = tmp_path / "fits.log"
    monkeypatch.setenv("TRADECAST_FIT_LOG", str(log))
    first = walk_forward(frame, {"h": LoggedHar()}, SPLIT, run_dir=tmp_path / "run")
    assert len(log.read_text().splitlines()) == 3
    again = walk_forward(frame, {"h": LoggedHar()}, SPLIT, run_dir=tmp_path / "run")
    assert len(log.read_text().splitlines()) == 3, "no fold was fitted again"
    assert again.fits["cached"].all()
    pd.testing.assert_frame_equal(again.forecasts, first.forecasts)
    # another configuration is another key: fitted anew
    walk_forward(frame, {"h_log": LoggedHar(log=True)}, SPLIT, run_dir=tmp_path / "run")
    assert len(log.read_text().splitlines()) == 6
    # a damaged fold file is detected and recomputed, never used
    (victim,) = (tmp_path / "run" / "folds" / "SP500" / "h").glob("fold001-*.parquet")
    victim.write_bytes(victim.read_bytes()[:100])
    redo = walk_forward(frame, {"h": LoggedHar()}, SPLIT, run_dir=tmp_path / "run")
    assert len(log.read_text().splitlines()) == 7
    pd.testing.assert_frame_equal(redo.forecasts, first.forecasts)


def test_warm_chain_resumes_from_stored_models(frame, tmp_path):
    m = {"lstm": RnnForecaster(**TINY_RNN)}
    full = walk_forward(frame, m, SPLIT, refits="warm", run_dir=tmp_path)
    # lose the last fold: the chain restarts from fold 1's stored model
    for p in tmp_path.rglob("fold002-*"):
        p.unlink()
    resumed = walk_forward(frame, m, SPLIT, refits="warm", run_dir=tmp_path)
    assert resumed.fits["cached"].tolist() == [True, True, False]
    pd.testing.assert_frame_equal(resumed.forecasts, full.forecasts)


class _Payload:
    """Unpickling this writes a marker file: the proof that a file ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def test_a_crafted_fold_file_cannot_run_code(frame, tmp_path):
    import pickle

    m = {"garch": GarchForecaster()}
    full = walk_forward(frame, m, SPLIT, refits="warm", run_dir=tmp_path)
    assert walk_forward(frame, m, SPLIT, refits="warm", run_dir=tmp_path).fits["cached"].all(), (
        "stored states are read back"
    )
    states = sorted(tmp_path.rglob("*.state.npz"))
    # the states folds 1 and 2 start from; nothing starts from the last fold's, so none is kept
    assert len(states) == 2 and not list(tmp_path.rglob("*.pkl")), "fitted state is stored as arrays, not pickles"
    marker = tmp_path / "marker"
    # a pickle named like a state file; an .npz whose array is a pickled object; a legacy .model.pkl
    states[0].write_bytes(pickle.dumps(_Payload(marker)))
    np.savez(states[1], params=np.array([_Payload(marker)], dtype=object), __fit_end__=np.array("2009-12-31"))
    states[1].with_suffix("").with_suffix(".model.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    again = walk_forward(frame, m, SPLIT, refits="warm", run_dir=tmp_path)
    assert not marker.exists(), "no stored file ran code"
    assert again.fits["cached"].tolist() == [False, False, True], (
        "a state file that does not parse is refitted, never used"
    )
    pd.testing.assert_frame_equal(again.forecasts, full.forecasts)


def _folds_on_disk(run: Path) -> int:
    """Folds in the finished segment files of a run folder (a file holds a year's folds)."""
    return sum(
        pd.read_parquet(p)["fold"].nunique() if "fold" in pd.read_parquet(p).columns else 1
        for p in run.rglob("*.parquet")
    )


@pytest.mark.slow
def test_killed_run_resumes_without_redoing_finished_folds(tmp_path):
    env = {**os.environ, "TRADECAST_FIT_LOG": str(tmp_path / "first.log"), "CI": "true"}
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "tests.engine.wf_script", str(run), str(tmp_path / "out.parquet")]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.time() + 120
    while not list(run.rglob("*.parquet")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # 2008-2010 in 63-row blocks: 13 folds, kept in one file per year of their test start
    files, finished = len(list(run.rglob("*.parquet"))), _folds_on_disk(run)
    assert 1 <= files < 4 and 4 <= finished < 13, "killed mid-run, after a year's folds were kept"
    env["TRADECAST_FIT_LOG"] = str(tmp_path / "resume.log")
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    total = _folds_on_disk(run)
    refits = len((tmp_path / "resume.log").read_text().splitlines())
    assert total == 13 and refits == total - finished, "finished folds were not recomputed"
    # the resumed output equals an uninterrupted run (not slowed: the delay is there for the kill to land mid-run)
    env["TRADECAST_FIT_LOG"] = str(tmp_path / "clean.log")
    subprocess.run(
        [*cmd[:3], str(tmp_path / "clean"), str(tmp_path / "clean.parquet"), "1", "0"],  # n_jobs 1, no delay
        cwd=ROOT,
        env=env,
        check=True,
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "out.parquet"), pd.read_parquet(tmp_path / "clean.parquet")
    )


def test_audit_passes_honest_models_and_catches_a_leak(frame, models):
    walk_forward(frame, {"loghar": models["loghar"], "garch": models["garch"]}, SPLIT, audit=True)
    with pytest.raises(
        CausalityError, match=r"audit of 'leaky' on SP500, fold \d: leaky: the forecast for 20\d\d-\d\d-\d\d changed"
    ):
        walk_forward(frame, {"leaky": Leaky()}, SPLIT, audit=True)


def test_progress_speaks_where_the_output_is_not_a_terminal(frame, capsys, monkeypatch):
    monkeypatch.setenv("CI", "true")
    walk_forward(frame, {"ewma": EwmaForecaster()}, SPLIT, progress=False)
    assert capsys.readouterr().err == ""
    walk_forward(frame, {"ewma": EwmaForecaster(), "har": HarForecaster()}, SPLIT)  # stderr is captured: not a terminal
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("walk-forward: 1/6 folds (17 %), ") and "s elapsed, about" in lines[0]
    assert lines[-1].startswith("walk-forward: 6/6 folds (100 %), ") and ", done" in lines[-1]
    assert len(lines) <= 11, "a line per tenth of the work, not per fold of a long run"
    walk_forward(frame, {"ewma": EwmaForecaster()}, SPLIT, progress=True)
    assert "walk-forward" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f: walk_forward([1, 2], {"h": HarForecaster()}, SPLIT), r"data must be a feature frame or a dict"),
        (
            lambda f: walk_forward(f, [HarForecaster(), HarForecaster(log=False)], SPLIT),
            r"two forecasters are named 'har'; pass a dict",
        ),
        (lambda f: walk_forward(f, {"x": object()}, SPLIT), r"'x' is a object, not a forecaster"),
        (lambda f: walk_forward(f, {}, SPLIT), r"no forecasters given"),
        (lambda f: walk_forward(f, {"h": HarForecaster()}, "yearly"), r"splitter must be a WalkForward; got str"),
        (lambda f: walk_forward(f, {"h": HarForecaster()}, SPLIT, n_jobs=0), r"n_jobs must be an integer >= 1; got 0"),
        (
            lambda f: walk_forward(f, {"h": HarForecaster()}, SPLIT, executor="dask"),
            r"executor must be one of 'process', 'ray'; got 'dask'",
        ),
        (
            lambda f: walk_forward(f, {"h": HarForecaster()}, SPLIT, warm_start="hot"),
            r"warm_start must be one of 'cold', 'warm'; got 'hot'",
        ),
    ],
)
def test_bad_arguments(frame, call, match):
    with pytest.raises(ParameterError, match=match):
        call(frame)


def test_a_daily_rolling_schedule_equals_a_loop_of_fits_by_hand(frame, tmp_path):
    # One model refit every day on the last 500 rows while the others keep the yearly schedule;
    # its forecasts are a hand-made loop: fit on the rows of each day's window, forecast that day.
    daily = WalkForward(start="2008-01-01", refit_every=1, window="rolling", train_length=500)
    models = {"yearly": HarForecaster(log=True), "daily": HarForecaster(log=True)}
    res = walk_forward(frame, models, SPLIT, schedules={"daily": daily}, run_dir=tmp_path, audit=True, audit_cuts=1)
    dates = frame.index
    first = dates.searchsorted(pd.Timestamp("2008-01-01"))
    by_hand = [
        HarForecaster(log=True).fit(frame.iloc[max(0, s - 500) : s]).predict(frame.iloc[: s + 1], dates[s : s + 1])
        for s in range(first, len(dates))
    ]
    want = pd.concat(by_hand)
    fc = res.for_symbol()
    np.testing.assert_allclose(fc["daily"].to_numpy(), want.to_numpy(), rtol=1e-12)
    assert len(res.fits.xs("daily", level="model")) == len(dates) - first  # one fold a day
    assert len(res.fits.xs("yearly", level="model")) == len(SPLIT.split(dates))
    assert (res.fits.xs("daily", level="model")["audited"] == 1).all()
    assert fc["fold"].max() == len(SPLIT.split(dates)) - 1  # the fold column stays the shared schedule's
    again = walk_forward(frame, models, SPLIT, schedules={"daily": daily}, run_dir=tmp_path)
    assert again.fits["cached"].all()
    pd.testing.assert_frame_equal(again.forecasts, res.forecasts)
    # a year's daily refits are one job and one file, not 252
    assert len(list((tmp_path / "folds" / "SP500" / "daily").glob("*.parquet"))) == 3


def test_bulk_refits_in_the_engine_equal_the_loop_bit_for_bit(frame, tmp_path):
    # HAR-X fits a cold segment's windows in one call (supports_bulk_refits); with an audit the
    # engine fits them one by one: the forecasts and the fit facts are the same
    daily = WalkForward(start="2010-01-01", refit_every=1, window="rolling", train_length=750)
    models = {"logharx": HarxForecaster(), "harx5": HarxForecaster(log=False, horizon=5)}
    sched = {"logharx": daily, "harx5": daily}
    split = WalkForward(start="2010-01-01")
    bulk = walk_forward(frame, models, split, schedules=sched)
    loop = walk_forward(frame, models, split, schedules=sched, audit=True, audit_cuts=1)
    pd.testing.assert_frame_equal(bulk.forecasts, loop.forecasts, check_exact=True)
    cols = ["n_train", "parameters", "smearing", "smearing_spread", "rows_used"]
    pd.testing.assert_frame_equal(bulk.fits[cols], loop.fits[cols], check_exact=True)
    assert (loop.fits["audited"] == 1).all() and (bulk.fits["audited"] == 0).all()


def test_warm_updates_with_a_yearly_full_refit_equal_a_chain_by_hand(frame, tmp_path):
    # monthly warm updates of a network, refit from scratch at each year's first month
    monthly = Schedule(WalkForward(start="2009-10-01", refit_every="month"), refits="warm", cold_every="year")
    split = WalkForward(start="2009-10-01")
    lstm = RnnForecaster(**TINY_RNN)
    res = walk_forward(frame, {"lstm": lstm}, split, schedules={"lstm": monthly}, run_dir=tmp_path, n_jobs=2)
    fits = res.fits.xs("lstm", level="model")
    assert fits["warm"].tolist() == [False, True, True] + [False] + [True] * 11
    prev = None
    for fold in monthly.splitter.split(frame.index):
        m = lstm.clone()
        cold = prev is None or frame.index[fold.test.start].year != frame.index[fold.test.start - 1].year
        m.fit(frame.iloc[fold.train], **({} if cold else {"warm_start": prev}))
        dates = frame.index[fold.test]
        np.testing.assert_allclose(res.for_symbol().loc[dates, "lstm"], m.predict(frame, dates), rtol=1e-12)
        prev = m
    # one file per year of warm updates; a resumed run reads them and refits nothing
    assert len(list((tmp_path / "folds" / "SP500" / "lstm").glob("*.parquet"))) == 2
    again = walk_forward(frame, {"lstm": lstm}, split, schedules={"lstm": monthly}, run_dir=tmp_path)
    assert again.fits["cached"].all()
    pd.testing.assert_frame_equal(again.forecasts, res.forecasts)


def test_a_schedule_is_checked_by_name():
    month = WalkForward(start="2009-10-01", refit_every="month")
    with pytest.raises(
        ParameterError, match=r"Schedule: cold_every must be one of 'month', 'quarter', 'year'; got 'week'"
    ):
        Schedule(month, refits="warm", cold_every="week")
    with pytest.raises(ParameterError, match=r"cold_every='year' restarts a chain of warm refits, but refits='cold'"):
        Schedule(month, refits="cold", cold_every="year")
    with pytest.raises(ParameterError, match=r"Schedule: refits must be one of 'cold', 'warm'; got 'hot'"):
        Schedule(month, refits="hot")


def test_a_schedule_must_test_the_shared_dates(frame):
    later = WalkForward(start="2009-01-01", refit_every=1)
    with pytest.raises(ParameterError, match=r"the schedule of 'h' tests 2009-01-02 to .*every model must be scored"):
        walk_forward(frame, {"h": HarForecaster()}, SPLIT, schedules={"h": later})
    with pytest.raises(ParameterError, match=r"schedules names 'x', which is not a model"):
        walk_forward(frame, {"h": HarForecaster()}, SPLIT, schedules={"x": later})


def test_progress_lines_estimate_the_rest_by_cost_not_by_folds():
    import io
    import time

    out = io.StringIO()
    bar = ProgressLines(4, "walk-forward", file=out, every=1e9, total_cost=100.0)
    bar.t0 -= 10.0  # ten seconds in
    bar.update(1, cost=1.0)  # a quarter of the folds but 1 % of the work
    line = out.getvalue().strip()
    left = float(line.split("about ")[1].split(" s left")[0])
    assert line.startswith("walk-forward: 1/4 folds (25 %), 10 s elapsed") and 900 < left < 1100  # not 30 s
    assert time.perf_counter() - bar.t0 < 60


def test_a_warning_many_assets_raise_is_one_line():
    # forty log models of a close-only universe saying "values raised to the floor" buried the
    # headline under 80 lines: one line per model and kind, with how many assets and folds said it
    import warnings as _warnings

    from tests.signals.test_har import _coarse_ticks

    frames = {}
    for i, sym in enumerate(("AAA", "BBB", "CCC")):
        f = _coarse_ticks(1500, seed=i)
        f.attrs["symbols"] = [sym]
        frames[sym] = f
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        res = walk_forward(frames, {"loghar": HarForecaster(log=True)}, WalkForward(start="2013-01-01"))
    assert len(res.warnings) == 1
    (line,) = res.warnings
    assert line.startswith("loghar on 3 assets (AAA, BBB, CCC), ")
    assert "; on AAA: HarForecaster(log=True) on AAA" in line


def test_errors_name_the_model_the_asset_and_the_fold(frame):
    from core.errors import TrainingError

    # a daily schedule whose window is too short: the model and the asset are named
    short = WalkForward(start="2008-01-01", refit_every=1, window="rolling", train_length=5, min_train=5)
    with pytest.raises(ParameterError, match=r"'h' on SP500, fold 0 \(training rows 2007-12-24 to 2007-12-31\): "):
        walk_forward(frame, {"h": HarForecaster()}, SPLIT, schedules={"h": short})
    too_short = WalkForward(start="2008-01-01", refit_every=1, window="rolling", train_length=5)
    with pytest.raises(ParameterError, match=r"the own schedule of 'h' on SP500: .*fold 0 .*min_train=252"):
        walk_forward(frame, {"h": HarForecaster()}, SPLIT, schedules={"h": too_short})
    # an asset that starts years after the others: named with its dates
    late = frame.loc["2007-06-01":]
    with pytest.raises(ParameterError, match=r"fewer than min_train=252.*\(on LATE, whose data runs 2007-06-01"):
        walk_forward({"SP500": frame, "LATE": late}, {"h": HarForecaster()}, SPLIT)
    # training that diverges: an error naming the model, asset, fold and learning rate, not a pandas traceback
    with pytest.raises(
        TrainingError,
        match=r"'lstm' on SP500, fold \d \(training rows 2003-01-02 to 20\d\d-12-31\): training diverged: the loss "
        r"became (nan|inf) in epoch \d+ at a learning rate of 1e\+10",
    ):
        walk_forward(frame, {"lstm": RnnForecaster(**{**TINY_RNN, "lr": 1e10, "grad_clip": None})}, SPLIT)
    # an infinite learning rate is refused before anything runs
    with pytest.raises(ParameterError, match=r"lr must be a finite number, a positive number; got inf"):
        RnnForecaster(lr=float("inf")).validate_params()


def test_progress_is_calibrated_by_each_models_measured_speed():
    # a daily HAR in bulk is cheaper per unit of cost than its relative cost says; a network dearer.
    # Once each model has finished a fold, the rest is estimated at its own measured rate.
    import io

    out = io.StringIO()
    costs = {"har": 100.0, "net": 100.0}
    bar = ProgressLines(20, "walk-forward", file=out, every=0.0, total_cost=200.0, model_costs=costs)
    bar.t0 -= 20.0  # 20 s in, one process: 20 fit seconds so far
    bar.update(1, cost=10.0, model="har", seconds=1.0)  # har: 0.1 s per unit -> 9 s of har left
    bar.update(1, cost=10.0, model="net", seconds=19.0)  # net: 1.9 s per unit -> 171 s of net left
    left = float(out.getvalue().strip().splitlines()[-1].split("about ")[1].split(" s left")[0])
    assert 170 < left < 190  # 9 + 171 s of fitting at one fit second per wall second
    out2 = io.StringIO()
    bar2 = ProgressLines(20, "walk-forward", file=out2, every=0.0, total_cost=200.0, model_costs=costs)
    bar2.t0 -= 20.0
    bar2.update(1, cost=10.0, model="har", seconds=0.1)
    bar2.update(1, cost=90.0, model="har", seconds=0.9)  # every har fold done, 1 s; the net's first took 19 s
    bar2.update(1, cost=10.0, model="net", seconds=19.0)
    left2 = float(out2.getvalue().strip().splitlines()[-1].split("about ")[1].split(" s left")[0])
    # 90 units of net at 1.9 s each = 171 s; by cost share (110 of 200 done in 20 s) it would say 16 s
    assert 165 < left2 < 180


def _left(out) -> float:
    return float(out.getvalue().strip().splitlines()[-1].split("about ")[1].split(" s left")[0])


def test_progress_does_not_read_worker_start_up_as_slow_fitting():
    # 5 s of spawning and imports before the first fold of a cheap daily model finishes: the
    # old estimate (fit seconds per wall second since the start) said 1,495 s for 1.5 s of work
    import io

    out = io.StringIO()
    bar = ProgressLines(
        300, "walk-forward", file=out, every=0.0, total_cost=300.0, model_costs={"har": 300.0}, workers=2
    )
    bar.t0 -= 5.0
    bar.update(1, cost=1.0, model="har", seconds=0.01)
    assert _left(out) == pytest.approx(299 * 0.01 / 2, abs=0.5)  # both workers taken as busy
    # 2 s later 100 more folds with 1 fit second: half a fit second per wall second since the first
    assert bar.first is not None
    bar.first = (bar.first[0] - 2.0, bar.first[1])
    bar.update(100, cost=100.0, model="har", seconds=1.0)
    assert _left(out) == pytest.approx(199 * (1.01 / 101) / 0.5, rel=0.05)
    # never more parallel than the workers: 21 fit seconds in 2 wall seconds on 2 workers
    bar.update(50, cost=50.0, model="har", seconds=20.0)
    assert _left(out) == pytest.approx(149 * (21.01 / 151) / 2, rel=0.05)
