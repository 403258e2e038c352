"""Schedules: daily refits of a log-HAR-X, the strongest baseline, on one index and on a universe.

1. The embedded S&P 500, out of sample 2008-2018: the log-HAR-X with leverage
   terms refit every day on the last 1,000 rows (its own schedule) beside a
   log-HAR refit yearly (the shared one). Wall times in one process: without a
   run folder, with one, and resumed from it (every fold read back); and the
   same 2,769 refits fitted one by one (``audit=True`` sends every fold through
   fit and predict) against the bulk path (``refit_forecasts``: one design per
   window floor), with the largest difference between their forecasts.
2. A universe, ``simulated:20`` 2000-2018: 20 assets x 2,769 daily refits on two
   cores into a run folder, with the number of files written (one per asset and
   year) and the progress estimate against the truth.

The daily forecasts equal a loop of fits by hand (tests/engine/test_walkforward.py).

    python benchmarks/schedules.py        # about a minute on 2 cores
"""

from __future__ import annotations

import io
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from engine.data import by_symbol, load
from engine.splits import WalkForward
from engine.walkforward import ProgressLines, walk_forward
from signals.features import feature_frame
from signals.har import HarForecaster
from signals.harx import HarxForecaster


def one_index() -> None:
    frame = feature_frame(load("embedded:sp500"))
    shared = WalkForward(start="2008-01-01", refit_every="year")
    daily = WalkForward(start="2008-01-01", refit_every=1, window="rolling", train_length=1000)
    models = {"loghar": HarForecaster(log=True), "logharx_daily": HarxForecaster()}
    own = {"logharx_daily": daily}
    with tempfile.TemporaryDirectory() as folder:
        for label, run_dir in (("no run folder", None), ("run folder, fresh", folder), ("run folder, resumed", folder)):
            t = time.perf_counter()
            res = walk_forward(frame, models, shared, schedules=own, run_dir=run_dir, progress=False)
            wall = time.perf_counter() - t
            fits = res.fits.xs("logharx_daily", level="model")
            files = len(list(Path(folder).rglob("*.parquet"))) if run_dir else 0
            print(
                f"{label:<22} {wall:6.1f} s wall, {len(fits)} daily refits, {fits['fit_seconds'].sum():.2f} s "
                f"fitting, {int(fits['cached'].sum())} read back, {files} files"
            )
    t = time.perf_counter()
    loop = walk_forward(frame, models, shared, schedules=own, progress=False, audit=True, audit_cuts=1)
    wall = time.perf_counter() - t
    gap = np.nanmax(np.abs(loop.forecasts["logharx_daily"] / res.forecasts["logharx_daily"] - 1))
    print(f"{'one fit per fold':<22} {wall:6.1f} s wall (fit, predict and a one-cut causality audit per fold)")
    print(f"largest relative difference, bulk against one fit per fold: {gap:.1e}")
    print(res.score().to_string(float_format="{:.4g}".format))


def universe() -> None:
    bars = load("simulated:20")
    frames = {s: feature_frame(b) for s, b in by_symbol(bars).items()}
    shared = WalkForward(start="2008-01-01", refit_every="year")
    daily = WalkForward(start="2008-01-01", refit_every=1, window="rolling", train_length=1000)
    log = io.StringIO()
    import engine.walkforward as wf

    original = wf._progress
    wf._progress = lambda progress, total, total_cost, model_costs, workers: ProgressLines(  # type: ignore[assignment]
        total, "walk-forward", file=log, total_cost=total_cost, model_costs=model_costs, workers=workers, every=1.0
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            t = time.perf_counter()
            res = walk_forward(
                frames,
                {"logharx_daily": HarxForecaster()},
                shared,
                schedules={"logharx_daily": daily},
                run_dir=folder,
                n_jobs=2,
            )
            wall = time.perf_counter() - t
            files = len(list(Path(folder).rglob("*.parquet")))
    finally:
        wf._progress = original
    print(
        f"\nsimulated:20, 2008-2018: {len(res.fits)} daily refits of log-HAR-X on 2 cores in {wall:.1f} s wall, "
        f"{files} files ({files / len(frames):.0f} per asset)"
    )
    said = [
        (float(m.group(1)), float(m.group(2)))
        for m in re.finditer(r"(\d+) s elapsed, about (\d+) s left", log.getvalue())
    ]
    done = re.search(r"(\d+) s elapsed, done", log.getvalue())
    if said and done:
        truth = float(done.group(1))  # the walk-forward's own end, as the bar measured it
        worst = max(max((e + left) / truth, truth / (e + left)) for e, left in said if e + left > 0)
        print(
            f"progress: every estimate of the walk-forward's {truth:.0f} s, from the first finished segment on, "
            f"within {worst:.2f}x of the truth"
        )


if __name__ == "__main__":
    one_index()
    universe()
