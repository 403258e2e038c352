"""Walk-forward benchmark: the default job on the embedded S&P 500.

Runs the default models (GARCH, EGARCH, GJR, HAR, log-HAR, EWMA, LSTM, GRU;
yearly refits, out of sample from 2008) three times in one process tree:
cold with n_jobs=1, cold with n_jobs=2, warm with n_jobs=1. Prints wall times,
fit time per model, the two ratios and out-of-sample QLIKE per model.

    python benchmarks/walkforward.py          # or: make bench
"""

from __future__ import annotations

import os
import time

import pandas as pd

from engine.config import RunConfig
from engine.job import prepare
from engine.walkforward import walk_forward
from signals.batched import BatchedRnnEnsemble
from signals.rnn import RnnForecaster


def main() -> None:
    config = RunConfig()
    prepared = prepare(config)
    models = {f.name: f.build() for f in config.forecasters}
    splitter = config.walkforward.splitter()
    print(
        f"machine: {os.cpu_count()} CPUs; data: {config.data.source}, {len(next(iter(prepared.features.values())))} "
        "rows"
    )
    print(f"models: {', '.join(models)}; folds: {len(splitter.split(next(iter(prepared.features.values())).index))}\n")

    runs = {}
    for label, kwargs in (
        ("cold, n_jobs=1", dict(n_jobs=1)),
        ("cold, n_jobs=2", dict(n_jobs=2)),
        ("warm, n_jobs=1", dict(n_jobs=1, refits="warm")),
    ):
        t0 = time.perf_counter()
        result = walk_forward(prepared.features, models, splitter, progress=False, **kwargs)
        runs[label] = (time.perf_counter() - t0, result)
        print(f"{label:<16} wall {runs[label][0]:7.1f} s")

    cold1, cold2, warm = (runs[k] for k in ("cold, n_jobs=1", "cold, n_jobs=2", "warm, n_jobs=1"))
    print(f"\nn_jobs=2 / n_jobs=1 wall-time ratio: {cold2[0] / cold1[0]:.2f} (speed-up {cold1[0] / cold2[0]:.2f}x)")
    print(f"warm / cold wall-time ratio:         {warm[0] / cold1[0]:.2f} (speed-up {cold1[0] / warm[0]:.2f}x)")
    print(f"identical forecasts for n_jobs=1 and 2: {cold1[1].forecasts.equals(cold2[1].forecasts)}")

    fit_cold = cold1[1].fits.groupby("model")["fit_seconds"].sum()
    fit_warm = warm[1].fits.groupby("model")["fit_seconds"].sum()
    q_cold = cold1[1].score().droplevel("symbol")["qlike"]
    q_warm = warm[1].score().droplevel("symbol")["qlike"]
    table = pd.DataFrame(
        {
            "fit_s_cold": fit_cold,
            "fit_s_warm": fit_warm,
            "qlike_cold": q_cold,
            "qlike_warm": q_warm,
            "qlike_warm/cold": q_warm / q_cold,
        }
    ).reindex(list(models))
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 120):
        print("\nper model (fit seconds summed over folds; out-of-sample QLIKE vs Garman-Klass variance):")
        print(table.to_string())

    # Many small networks at once: seeds of an ensemble as one grouped model.
    train = next(iter(prepared.features.values())).loc[:"2012-12-31"]
    kw = dict(seq_len=20, epochs=10, patience=100, batch_size=64)
    rows = {}
    for n in (5, 10):
        t0 = time.perf_counter()
        for s in range(n):
            RnnForecaster(cell="gru", hidden=(32,), seed=s, **kw).fit(train)
        loop = time.perf_counter() - t0
        t0 = time.perf_counter()
        BatchedRnnEnsemble(net=RnnForecaster(cell="gru", hidden=(32,), **kw), seeds=tuple(range(n))).fit(train)
        grouped = time.perf_counter() - t0
        rows[n] = {"loop of nn.GRU fits, s": loop, "one grouped model, s": grouped, "speed-up": loop / grouped}
    print(
        f"\nGRU(32) seeds trained for 10 epochs on {len(train)} rows (equality with the loop: "
        "tests/signals/test_batched.py):"
    )
    print(pd.DataFrame.from_dict(rows, orient="index").rename_axis("networks").round(2).to_string())


if __name__ == "__main__":
    main()
