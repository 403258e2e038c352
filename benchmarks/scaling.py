"""Scaling: walk-forward wall time as the history doubles and as the universe grows.

Models: log-HAR, GARCH, EWMA and a small GRU (16 units, 10 epochs); yearly
refits over the last third of the data. History: the last 1,250, 2,500 and
5,000 rows of the embedded S&P 500. Universe: 1, 5 and 20 assets (the S&P 500
and NASDAQ, plus copies whose returns and variances are rescaled, so each
asset costs the same to fit), n_jobs=2. Time per trained row (expanding
windows refit on ever more rows, so rows trained grow faster than the history)
and per asset should stay flat or fall: cost no worse than linear. Last, the
same universes with one GRU per asset trained in a loop of fits against one
grouped model per fold (``BatchedRnnUniverse`` with ``pooled=True``; equal
forecasts: tests/signals/test_batched.py and tests/engine/test_walkforward.py).

:func:`whole_job` runs the whole job on ``simulated:N`` (``benchmarks/job_scaling.py``).

    python benchmarks/scaling.py
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data import load
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.batched import BatchedRnnUniverse
from signals.features import feature_frame
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from signals.rnn import RnnForecaster

GRU = dict(cell="gru", epochs=10, patience=3, features=("rv", "return"))


def models():
    return {
        "loghar": HarForecaster(log=True),
        "garch": GarchForecaster(),
        "ewma": EwmaForecaster(),
        "gru": RnnForecaster(hidden=(16,), **GRU),
    }


def make_universe(spx: pd.DataFrame, ndx: pd.DataFrame, n: int, rows: int = 2500) -> dict[str, pd.DataFrame]:
    """``n`` assets on one calendar: the S&P 500 and NASDAQ feature frames, then
    copies whose returns and variances are rescaled (each costs the same to fit).
    """
    rng = np.random.default_rng(0)
    common = spx.index.intersection(ndx.index)  # one calendar, so a universe can be grouped
    base = [spx.loc[common].iloc[-rows:], ndx.loc[common].iloc[-rows:]]
    universe = {}
    for i in range(n):
        f = base[i % 2].copy()
        if i >= 2:
            k = rng.uniform(0.7, 1.4)
            f[["return"]] *= np.sqrt(k)
            f[["rv", "har_1", "har_5", "har_22"]] *= k
        universe[f"A{i:02d}"] = f
    return universe


def timed(frames, n_jobs: int, chosen=None, pooled: bool = False) -> tuple[float, int]:
    """Wall seconds, and training rows summed over every fit (expanding windows
    make that grow faster than the history: it is the fair denominator).
    """
    first = next(iter(frames.values()))
    start = first.index[len(first) * 2 // 3]
    t0 = time.perf_counter()
    res = walk_forward(
        frames,
        chosen or models(),
        WalkForward(start=start, refit_every="year"),
        n_jobs=n_jobs,
        progress=False,
        pooled=pooled,
    )
    return time.perf_counter() - t0, int(res.fits["n_train"].sum())


def job_config(n: int):
    """The whole job on ``simulated:n``: the models of the module docstring, 2014-2018 out of sample."""
    from engine.config import from_dict

    return from_dict(
        {
            "name": f"scaling{n}",
            "data": {"source": f"simulated:{n}", "start": "2008-01-01", "vix": ""},
            "walkforward": {"start": "2014-01-01", "n_jobs": 2, "pooled": True},
            "strategy": {"portfolio": {"schemes": ["inverse_vol", "equal_risk", "vol_target"], "target_vol": 0.10}},
            "forecasters": [
                {"name": "loghar", "type": "har", "log": True},
                {
                    "name": "logharx_weekly",
                    "type": "harx",
                    "schedule": {"refit_every": 5, "window": "rolling", "train_length": 1000},
                },
                {"name": "garch", "type": "garch"},
                {"name": "ewma", "type": "ewma"},
                {
                    "name": "gru",
                    "type": "rnn",
                    "cell": "gru",
                    "hidden": [16],
                    "epochs": 10,
                    "patience": 3,
                    "max_steps": 25,
                    "features": ["rv", "return"],
                },
            ],
        }
    )


def whole_job(sizes: tuple[int, ...]) -> pd.DataFrame:
    """Each stage's wall seconds, share and seconds per asset, by universe size (one process
    tree each; peak memory is this process's, the workers' own not counted).
    """
    from engine.job import run_job

    rows = {}
    for n in sizes:
        print(f"  simulated:{n} ...", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run_job(job_config(n), Path(tmp) / "run", tearsheets=False, progress=False, echo=lambda *_: None)
            total = time.perf_counter() - t0
            timings = json.loads((Path(tmp) / "run" / "manifest.json").read_text())["timings"]
        row: dict[str, float] = {"total_s": total, "total_s_per_asset": total / n}
        for stage, s in timings.items():
            row[f"{stage}_s"] = s
            row[f"{stage}_share"] = s / total
        row["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        row["peak_rss_workers_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
        rows[n] = row
        print("  " + ", ".join(f"{k} {v:.3g}" for k, v in row.items()), flush=True)  # kept if a larger size dies
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("assets")


def main() -> None:
    spx = feature_frame(load("embedded:sp500"))
    ndx = feature_frame(load("embedded:nasdaq"))
    rows = {}
    for n in (1250, 2500, 5000):
        s, trained = timed({"SPX": spx.iloc[-n:]}, 1)
        rows[n] = {"wall_s": s, "rows_trained": trained, "us_per_trained_row": 1e6 * s / trained}
    hist = pd.DataFrame.from_dict(rows, orient="index").rename_axis("rows")
    universe = make_universe(spx, ndx, 20)
    rows = {}
    for n in (1, 5, 20):
        s, _ = timed(dict(list(universe.items())[:n]), 2)
        rows[n] = {"wall_s": s, "s_per_asset": s / n}
    assets = pd.DataFrame.from_dict(rows, orient="index").rename_axis("assets")
    rows = {}
    for n in (1, 5, 20):
        sub = dict(list(universe.items())[:n])
        torch_loop, _ = timed(sub, 1, {"gru": RnnForecaster(hidden=(16,), **GRU)})
        loop, _ = timed(sub, 1, {"gru": BatchedRnnUniverse(net=RnnForecaster(hidden=(16,), **GRU))}, pooled=False)
        grouped, _ = timed(sub, 1, {"gru": BatchedRnnUniverse(net=RnnForecaster(hidden=(16,), **GRU))}, pooled=True)
        rows[n] = {
            "rnn_forecaster_loop_s": torch_loop,
            "same_model_loop_s": loop,
            "grouped_s": grouped,
            "speed_up_vs_rnn_loop": torch_loop / grouped,
            "speed_up_vs_same_loop": loop / grouped,
            "grouped_s_per_asset": grouped / n,
        }
    batched = pd.DataFrame.from_dict(rows, orient="index").rename_axis("assets")
    with pd.option_context("display.float_format", "{:.2f}".format):
        print("history length (1 process):")
        print(hist.to_string())
        print("\nuniverse size (n_jobs=2, 2,500 rows each):")
        print(assets.to_string())
        print("\none GRU(16) per asset, 1 process: loops of fits (RnnForecaster with nn.GRU; the same model as the")
        print(
            "grouped one, fitted asset by asset) against one grouped model per fold (BatchedRnnUniverse, pooled=True):"
        )
        print(batched.to_string())


if __name__ == "__main__":
    main()
