"""Accuracy benchmark: out-of-sample QLIKE against log-HAR on the embedded S&P 500 and NASDAQ.

Walk-forward with yearly refits, out of sample 2008-2018, Garman-Klass daily
variance as the target. For each dataset: QLIKE, MSE, the ratio to log-HAR's
QLIKE and the Diebold-Mariano p-value against log-HAR (Newey-West variance),
for the baselines and for each lever tried on the networks.

    python benchmarks/accuracy.py        # about 7 minutes on 2 cores
"""

from __future__ import annotations

import time

import pandas as pd

from engine.config import DataConfig, RunConfig
from engine.job import prepare
from engine.walkforward import walk_forward
from reports.metrics import forecast_table
from signals.base import realized_target
from signals.ensemble import EnsembleForecaster
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from signals.rnn import RnnForecaster

NET = dict(hidden=(32,), epochs=30, patience=5)
MULTI = ("rv", "return", "volume_ratio", "har_5", "har_22")

#: name -> (what was tried, forecaster)
MODELS = {
    "loghar": ("baseline: log-HAR with smearing", HarForecaster(log=True)),
    "har": ("baseline: HAR", HarForecaster()),
    "garch": ("baseline: GARCH(1,1)", GarchForecaster()),
    "egarch": ("baseline: EGARCH(1,1,1)", GarchForecaster(kind="egarch")),
    "ewma": ("baseline: RiskMetrics EWMA", EwmaForecaster()),
    "lstm": ("LSTM(32), inputs rv, return, volume ratio, QLIKE loss, skip path", RnnForecaster(cell="lstm", **NET)),
    "gru": ("GRU(32), same inputs, skip path", RnnForecaster(cell="gru", **NET)),
    "lstm_plain": ("LSTM without the skip path", RnnForecaster(cell="lstm", skip=False, **NET)),
    "gru_plain": ("GRU without the skip path", RnnForecaster(cell="gru", skip=False, **NET)),
    "gru_har_inputs": (
        "GRU + HAR weekly and monthly averages as inputs",
        RnnForecaster(cell="gru", features=MULTI, **NET),
    ),
    "gru_attention": ("GRU with attention over lags", RnnForecaster(cell="gru", attention=True, **NET)),
    "gru_seq60": ("GRU reading 60 days instead of 20", RnnForecaster(cell="gru", seq_len=60, **NET)),
    "gru_logmse": ("GRU trained on log-MSE instead of QLIKE", RnnForecaster(cell="gru", loss="logmse", **NET)),
    "gru_3seeds": (
        "mean of 3 GRU seeds",
        EnsembleForecaster(members=[RnnForecaster(cell="gru", seed=s, **NET) for s in range(3)], label="gru_3seeds"),
    ),
    "hybrid": (
        "mean of LSTM, GRU and log-HAR",
        EnsembleForecaster(
            members=[RnnForecaster(cell="lstm", **NET), RnnForecaster(cell="gru", **NET), HarForecaster(log=True)],
            label="hybrid",
        ),
    ),
}


def main() -> None:
    t0 = time.perf_counter()
    tables = {}
    for source in ("embedded:sp500", "embedded:nasdaq"):
        config = RunConfig(data=DataConfig(source=source))
        prepared = prepare(config)
        ((symbol, frame),) = prepared.features.items()
        models = {name: m for name, (_, m) in MODELS.items()}
        result = walk_forward(frame, models, config.walkforward.splitter(), n_jobs=2, progress=False)
        fc = result.for_symbol().drop(columns="fold")
        t = forecast_table(fc, realized_target(frame, "variance"), baseline="loghar", mcs_reps=500)
        tables[symbol] = t[["qlike", "mse", "qlike_vs_loghar", "dm_pvalue", "in_mcs"]]
    lever = pd.Series({k: v[0] for k, v in MODELS.items()}, name="what was tried")
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 200, "display.max_colwidth", 60):
        for symbol, t in tables.items():
            print(
                f"\n{symbol}: out-of-sample 2008-2018, QLIKE against Garman-Klass variance (target: ratio <= 0.95, "
                "DM p < 0.05)"
            )
            print(t.join(lever).to_string())
        both = pd.concat({s: t["qlike_vs_loghar"] for s, t in tables.items()}, axis=1)
        ok = both.le(0.95).all(axis=1) & pd.concat({s: t["dm_pvalue"] for s, t in tables.items()}, axis=1).lt(0.05).all(
            axis=1
        )
        print("\nmeets the target on both datasets: " + (", ".join(ok[ok].index) or "none"))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
