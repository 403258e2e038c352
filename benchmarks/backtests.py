"""Strategies on the default job's out-of-sample forecasts (embedded S&P 500, 2008-2018).

For every forecaster: a 10 % vol-target (leverage cap 2, 2 bp costs, daily
decisions, orders when the weight changes; forecasts of the Garman-Klass proxy
scaled to return variance, ``calibrate = "proxy"``; sized on the mean of the last
ten forecasts, ``smooth = 10``, chosen on 2003-2007 by ``benchmarks/smoothing.py``)
and a regime strategy
(invested while forecast volatility is below its trailing 80th percentile),
against buy and hold, all on one common window: the days on which every strategy
holds a position (the regime rule needs 252 forecasts, so from 2008-12-30). Then
the issue's targets for the best-QLIKE forecaster
(Sharpe at least 0.10 above buy and hold, maximum drawdown at least 10 points
shallower, realised volatility within 1 point of the target), and a vol-target
parameter grid for log-HAR in one vectorbt call, with the deflated Sharpe ratio.
Last, vol-targeting alone over its own days from 2008-01-02 (the crash
included), against buy and hold on those same days: a matched comparison too,
on a different window.

    python benchmarks/backtests.py
"""

from __future__ import annotations

import time

import pandas as pd

from core.evaluation.performance import sharpe_difference
from core.tables import ScoredTable
from engine.config import RunConfig
from engine.job import forecast, prepare, trade
from strategies.backtest import backtest
from strategies.calibration import calibrated
from strategies.grid import vol_target_grid
from strategies.vol_target import vol_target_weights


def targets(scored: ScoredTable, best: str, target_vol: float) -> str:
    """The issue's three vol-targeting targets for ``best`` on the table's common
    window, each with its figure, and the Sharpe gap's block-bootstrap standard error.
    """
    table = scored.table
    row, bh = table.loc[(best, "vol_target")], table.loc[("buy_and_hold", "-")]
    checks = [
        ("Sharpe - buy and hold", row["sharpe_vs_bh"], ">= 0.10", row["sharpe_vs_bh"] >= 0.10),
        (
            "drawdown points shallower",
            100 * (row["max_drawdown"] - bh["max_drawdown"]),
            ">= 10",
            row["max_drawdown"] - bh["max_drawdown"] >= 0.10,
        ),
        (
            "realised vol - target, points",
            100 * (row["realised_vol"] - target_vol),
            "within +-1",
            abs(row["realised_vol"] - target_vol) <= 0.01,
        ),
    ]
    window = scored.window.dates() if scored.window is not None else "no common day"
    lines = [f"targets for the best-QLIKE forecaster, {best}, on {window}:"]
    lines += [
        f"  {name:<30} {value:+7.3f}  (target {rule}: {'met' if ok else 'NOT met'})" for name, value, rule, ok in checks
    ]
    lines.append(
        f"  standard error of the Sharpe difference: {row['sharpe_vs_bh_se']:.3f} (circular block bootstrap, 22-day "
        "blocks)"
    )
    return "\n".join(lines)


def vol_target_alone(frame: pd.DataFrame, fc: pd.DataFrame, spec, kinds: dict) -> pd.DataFrame:
    """Vol-targeting of every forecaster from its first forecast, against buy and hold
    on exactly its own days: Sharpe, the gap and its standard error.
    """
    rows = {}
    for model in fc.columns:
        f = fc[model].dropna()
        sized = calibrated(f, frame["close"], frame["rv"]) if kinds.get(model) == "target" else f
        res = backtest(
            frame["close"],
            vol_target_weights(sized, target_vol=spec.target_vol, max_leverage=spec.max_leverage, smooth=spec.smooth),
            fees_bps=spec.fees_bps,
            target_vol=spec.target_vol,
        )
        gap, se = sharpe_difference(res.returns, res.benchmark)
        rows[model] = {
            "from": res.returns.index[0].date(),
            "sharpe": res.stats.iloc[0]["sharpe"],
            "buy_and_hold": res.stats.loc["buy_and_hold", "sharpe"],
            "sharpe_vs_bh": gap,
            "se": se,
            "max_drawdown": res.stats.iloc[0]["max_drawdown"],
            "bh_drawdown": res.stats.loc["buy_and_hold", "max_drawdown"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def main() -> None:
    t0 = time.perf_counter()
    config = RunConfig()
    prepared = prepare(config)
    result = forecast(prepared, progress=False)
    (symbol,) = result.symbols
    frame = prepared.features[symbol]
    fc = result.for_symbol(symbol).drop(columns="fold")
    tables, _ = trade(prepared, result)
    scored = tables[symbol]
    best = result.score().loc[symbol, "qlike"].idxmin()  # the leaderboard's first row, without its bootstrap
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
        print(
            f"{symbol}, out of sample {fc.index[0].date()} to {fc.index[-1].date()}, 2 bp costs, "
            f"calibrate={config.strategy.calibrate!r}, smooth={config.strategy.smooth}"
        )
        print(scored.table.to_string())
        print("\n" + targets(scored, best, config.strategy.target_vol))
        grid = vol_target_grid(frame["close"], fc["loghar"], proxy=frame["rv"])
        best_combo = dict(zip(grid.stats.index.names, grid.best, strict=True))
        print(
            f"\nlog-HAR vol-target grid: {grid.n_trials} combinations in one vectorbt call; best "
            f"{best_combo} (Sharpe {grid.stats.loc[grid.best, 'sharpe']:.3f}); "
            f"deflated Sharpe ratio {grid.deflated_sharpe:.3f}"
        )
        print(
            "\nvol-targeting alone from its first forecast, each against buy and hold on its own days (the 2008 "
            "crash included):"
        )
        print(
            vol_target_alone(frame, fc[list(result.variance_of())], config.strategy, result.variance_of()).to_string()
        )
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
