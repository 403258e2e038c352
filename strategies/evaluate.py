"""Every forecaster's forecasts through the standard strategies, in one table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from strategies.backtest import BacktestResult, backtest
from strategies.threshold import regime_weights
from strategies.vol_target import vol_target_weights

__all__ = ["strategy_table"]


def strategy_table(
    close: pd.Series,
    variance_forecasts: pd.DataFrame,
    *,
    target: float = 0.10,
    max_leverage: float = 2.0,
    regime_quantile: float = 0.8,
    regime_lookback: int = 252,
    fees_bps: float = 2.0,
    calibrate: bool = False,
) -> tuple[pd.DataFrame, dict[tuple[str, str], BacktestResult]]:
    """Vol-targeting and a volatility-regime strategy for each variance forecaster.

    Parameters
    ----------
    close : Series, the asset's close prices
    variance_forecasts : DataFrame, one column of daily variance forecasts per model,
        labelled by target date (``WalkForwardResult.for_symbol()``)
    target, max_leverage : vol-targeting settings
    regime_quantile, regime_lookback : invested while forecast volatility is below
        its trailing quantile
    fees_bps : float
    calibrate : bool, default False
        Scale each variance forecast to the squared returns of the past year
        before vol-targeting (see ``calibrate_with`` in
        :func:`strategies.vol_target.vol_target_weights`).

    Returns
    -------
    (table, results): one row per (model, strategy) plus buy and hold, with Sharpe,
    max drawdown, annual turnover, realised and target volatility; and the backtests.
    """
    def row(stats: pd.Series, target_vol: float | None) -> dict:
        return {"sharpe": stats["sharpe"], "max_drawdown": stats["max_drawdown"], "annual_return": stats["annual_return"],
                "realised_vol": stats["annual_vol"], "target_vol": target_vol, "turnover_per_year": stats["turnover_per_year"],
                "costs_per_year": stats["costs_per_year"]}

    rows, results = {}, {}
    returns = np.log(close).diff() if calibrate else None
    for model in variance_forecasts.columns:
        fc = variance_forecasts[model].dropna()
        for strategy, weights, tv in (
            ("vol_target", vol_target_weights(fc, target=target, max_leverage=max_leverage, calibrate_with=returns), target),
            ("regime", regime_weights(fc, quantile=regime_quantile, lookback=regime_lookback), None),
        ):
            res = backtest(close, weights.rename(f"{model}/{strategy}"), fees_bps=fees_bps, target_vol=tv)
            results[(model, strategy)] = res
            rows[(model, strategy)] = row(res.stats.iloc[0], tv)
    # buy and hold over the first strategy's days (its turnover and costs are zero)
    rows[("buy_and_hold", "-")] = row(next(iter(results.values())).stats.loc["buy_and_hold"], None)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["model", "strategy"])
    return table, results
