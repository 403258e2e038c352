"""Strategies on the default job's out-of-sample forecasts (embedded S&P 500, 2008-2018).

For every forecaster: a 10 % vol-target (leverage cap 2, 2 bp costs, orders when
the weight changes) and a regime strategy (invested while forecast volatility is
below its trailing 80th percentile), against buy and hold. Then a vol-target
parameter grid for log-HAR in one vectorbt call, with the deflated Sharpe ratio.

    python benchmarks/backtests.py
"""

from __future__ import annotations

import time

import pandas as pd

from engine.config import RunConfig
from engine.job import forecast, prepare
from strategies.evaluate import strategy_table
from strategies.grid import vol_target_grid


def main() -> None:
    t0 = time.perf_counter()
    config = RunConfig()
    prepared = prepare(config)
    result = forecast(prepared, progress=False)
    (symbol,) = result.symbols
    frame = prepared.features[symbol]
    fc = result.for_symbol(symbol).drop(columns="fold")
    table, _ = strategy_table(frame["close"], fc)
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
        print(f"{symbol}, out of sample {fc.index[0].date()} to {fc.index[-1].date()}, 2 bp costs")
        print(table.to_string())
        grid = vol_target_grid(frame["close"], fc["loghar"])
        print(f"\nlog-HAR vol-target grid: {grid.n_trials} combinations in one vectorbt call; best {grid.best} "
              f"(Sharpe {grid.stats.loc[grid.best, 'sharpe']:.3f}); deflated Sharpe ratio {grid.deflated_sharpe:.3f}")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
