"""Strategies on the default job's out-of-sample forecasts (embedded S&P 500, 2008-2018).

For every forecaster: a 10 % vol-target (leverage cap 2, 2 bp costs, daily
decisions, orders when the weight changes; forecasts of the Garman-Klass proxy
scaled to return variance, ``calibrate = "proxy"``; sized on the mean of the last
ten forecasts, ``smooth = 10``, chosen on 2003-2007 by ``benchmarks/smoothing.py``)
and a regime strategy
(invested while forecast volatility is below its trailing 80th percentile),
against buy and hold. Then the issue's targets for the best-QLIKE forecaster
(Sharpe at least 0.10 above buy and hold, maximum drawdown at least 10 points
shallower, realised volatility within 1 point of the target), and a vol-target
parameter grid for log-HAR in one vectorbt call, with the deflated Sharpe ratio.

    python benchmarks/backtests.py
"""

from __future__ import annotations

import time

import pandas as pd

from engine.config import RunConfig
from engine.job import forecast, prepare, trade
from strategies.grid import vol_target_grid
from strategies.performance import sharpe_difference


def targets(table: pd.DataFrame, backtests: dict, best: str, target_vol: float) -> str:
    """The issue's three vol-targeting targets for ``best``, each with its figure,
    and the block-bootstrap standard error of the Sharpe difference."""
    row, bh = table.loc[(best, "vol_target")], table.loc[("buy_and_hold", "-")]
    res = backtests[(best, "vol_target")]
    _, se = sharpe_difference(res.returns, res.benchmark)
    checks = [
        ("Sharpe - buy and hold", row["sharpe"] - bh["sharpe"], ">= 0.10", row["sharpe"] - bh["sharpe"] >= 0.10),
        ("drawdown points shallower", 100 * (row["max_drawdown"] - bh["max_drawdown"]), ">= 10", row["max_drawdown"] - bh["max_drawdown"] >= 0.10),
        ("realised vol - target, points", 100 * (row["realised_vol"] - target_vol), "within +-1", abs(row["realised_vol"] - target_vol) <= 0.01),
    ]
    lines = [f"targets for the best-QLIKE forecaster, {best}:"]
    lines += [f"  {name:<30} {value:+7.3f}  (target {rule}: {'met' if ok else 'NOT met'})" for name, value, rule, ok in checks]
    lines.append(f"  standard error of the Sharpe difference: {se:.3f} (circular block bootstrap, 22-day blocks)")
    return "\n".join(lines)


def main() -> None:
    t0 = time.perf_counter()
    config = RunConfig()
    prepared = prepare(config)
    result = forecast(prepared, progress=False)
    (symbol,) = result.symbols
    frame = prepared.features[symbol]
    fc = result.for_symbol(symbol).drop(columns="fold")
    tables, backtests = trade(prepared, result)
    table = tables[symbol]
    best = result.score().loc[symbol, "qlike"].idxmin()  # the leaderboard's first row, without its bootstrap
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
        print(f"{symbol}, out of sample {fc.index[0].date()} to {fc.index[-1].date()}, 2 bp costs, calibrate={config.strategy.calibrate!r}, smooth={config.strategy.smooth}")
        print(table.to_string())
        print("\n" + targets(table, backtests[symbol], best, config.strategy.target_vol))
        grid = vol_target_grid(frame["close"], fc["loghar"], proxy=frame["rv"])
        print(f"\nlog-HAR vol-target grid: {grid.n_trials} combinations in one vectorbt call; best {dict(zip(grid.stats.index.names, grid.best))} "
              f"(Sharpe {grid.stats.loc[grid.best, 'sharpe']:.3f}); deflated Sharpe ratio {grid.deflated_sharpe:.3f}")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
