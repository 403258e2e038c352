"""Schedules: 2,769 daily refits of a log-HAR-X, the strongest baseline, in one walk-forward.

The embedded S&P 500, out of sample 2008-2018: the log-HAR-X with leverage terms
refit every day on the last 1,000 rows (its own schedule) beside a log-HAR refit
yearly (the shared one). Wall times in one process: without a run folder, with
one (every fold written), and resumed from it (every fold read back). The daily
forecasts equal a loop of fits by hand (tests/engine/test_walkforward.py).

    python benchmarks/schedules.py        # about a minute on 2 cores
"""

from __future__ import annotations

import tempfile
import time

from engine.data import load
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.features import feature_frame
from signals.har import HarForecaster
from signals.harx import HarxForecaster


def main() -> None:
    frame = feature_frame(load("embedded:sp500"))
    shared = WalkForward(start="2008-01-01", refit_every="year")
    daily = WalkForward(start="2008-01-01", refit_every=1, window="rolling", train_length=1000)
    models = {"loghar": HarForecaster(log=True), "logharx_daily": HarxForecaster()}
    with tempfile.TemporaryDirectory() as folder:
        for label, run_dir in (("no run folder", None), ("run folder, fresh", folder), ("run folder, resumed", folder)):
            t = time.perf_counter()
            own = {"logharx_daily": daily}
            res = walk_forward(frame, models, shared, schedules=own, run_dir=run_dir, progress=False)
            wall = time.perf_counter() - t
            fits = res.fits.xs("logharx_daily", level="model")
            print(
                f"{label:<20} {wall:6.1f} s wall, {len(fits)} daily refits, "
                f"{fits['fit_seconds'].sum():.1f} s fitting, {int(fits['cached'].sum())} read back"
            )
    print(res.score().to_string(float_format="{:.4g}".format))


if __name__ == "__main__":
    main()
