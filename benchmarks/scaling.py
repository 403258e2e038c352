"""Scaling: walk-forward wall time as the history doubles and as the universe grows.

Models: log-HAR, GARCH, EWMA and a small GRU (16 units, 10 epochs); yearly
refits over the last third of the data. History: the last 1,250, 2,500 and
5,000 rows of the embedded S&P 500. Universe: 1, 5 and 20 assets (the S&P 500
and NASDAQ, plus copies whose returns and variances are rescaled, so each
asset costs the same to fit), n_jobs=2. Time per trained row (expanding
windows refit on ever more rows, so rows trained grow faster than the history)
and per asset should stay flat or fall: cost no worse than linear.

    python benchmarks/scaling.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from engine.data import load
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.features import feature_frame
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from signals.rnn import RnnForecaster


def models():
    return {"loghar": HarForecaster(log=True), "garch": GarchForecaster(), "ewma": EwmaForecaster(),
            "gru": RnnForecaster(cell="gru", hidden=(16,), epochs=10, patience=3, features=("rv", "return"))}


def timed(frames, n_jobs: int) -> tuple[float, int]:
    """Wall seconds, and training rows summed over every fit (expanding windows
    make that grow faster than the history: it is the fair denominator)."""
    first = next(iter(frames.values()))
    start = first.index[len(first) * 2 // 3]
    t0 = time.perf_counter()
    res = walk_forward(frames, models(), WalkForward(start=start, refit_every="year"), n_jobs=n_jobs, progress=False)
    return time.perf_counter() - t0, int(res.fits["n_train"].sum())


def main() -> None:
    spx = feature_frame(load("embedded:sp500"))
    ndx = feature_frame(load("embedded:nasdaq"))
    rows = {}
    for n in (1250, 2500, 5000):
        s, trained = timed({"SPX": spx.iloc[-n:]}, 1)
        rows[n] = {"wall_s": s, "rows_trained": trained, "us_per_trained_row": 1e6 * s / trained}
    hist = pd.DataFrame.from_dict(rows, orient="index").rename_axis("rows")
    rng = np.random.default_rng(0)
    base = [spx.iloc[-2500:], ndx.iloc[-2500:]]
    universe = {}
    for i in range(20):
        f = base[i % 2].copy()
        if i >= 2:
            k = rng.uniform(0.7, 1.4)
            f[["return"]] *= np.sqrt(k)
            f[["rv", "har_1", "har_5", "har_22"]] *= k
        universe[f"A{i:02d}"] = f
    rows = {}
    for n in (1, 5, 20):
        s, _ = timed(dict(list(universe.items())[:n]), 2)
        rows[n] = {"wall_s": s, "s_per_asset": s / n}
    assets = pd.DataFrame.from_dict(rows, orient="index").rename_axis("assets")
    with pd.option_context("display.float_format", "{:.2f}".format):
        print("history length (1 process):")
        print(hist.to_string())
        print("\nuniverse size (n_jobs=2, 2,500 rows each):")
        print(assets.to_string())


if __name__ == "__main__":
    main()
