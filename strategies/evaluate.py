"""Every forecaster's forecasts through the standard strategies, in one table."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from signals.checks import check_choice
from signals.errors import ParameterError
from signals.features import log_returns
from strategies.backtest import BacktestResult, backtest
from strategies.calibration import Calibrate, proxy_scale
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
    calibrate: Calibrate = "none",
    proxy: pd.Series | None = None,
    variance_of: Mapping[str, str] | None = None,
    smooth: int = 1,
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
    calibrate : {"none", "proxy"}, default "none"
        "proxy": before vol-targeting (not the regime rule, which ranks a
        forecast against its own past), multiply each forecast of the
        realised-variance proxy by :func:`strategies.calibration.proxy_scale`,
        so that it forecasts the variance of the returns traded.
    proxy : Series, optional
        The realised-variance proxy (the feature frame's ``rv``); needed for
        ``calibrate="proxy"``.
    variance_of : dict of model to "target" | "returns" | "mixed", optional
        What each forecast measures (``BaseForecaster.variance_of``); only
        "target" forecasts are scaled. Default: every model "target".
    smooth : int, default 1
        Vol-targeting sizes on the mean of the last ``smooth`` forecasts
        (:func:`strategies.vol_target.vol_target_weights`); the regime rule
        reads the forecasts as they are.

    Returns
    -------
    (table, results): one row per (model, strategy) plus buy and hold, with Sharpe,
    max drawdown, annual turnover, realised and target volatility; and the backtests.
    """
    def row(stats: pd.Series, target_vol: float | None) -> dict:
        return {"sharpe": stats["sharpe"], "max_drawdown": stats["max_drawdown"], "annual_return": stats["annual_return"],
                "realised_vol": stats["annual_vol"], "target_vol": target_vol, "turnover_per_year": stats["turnover_per_year"],
                "costs_per_year": stats["costs_per_year"]}

    check_choice("strategy_table", "calibrate", calibrate, ("none", "proxy"))
    scale = None
    if calibrate == "proxy":
        if proxy is None:
            raise ParameterError("strategy_table: calibrate='proxy' needs proxy, the realised-variance series the forecasts "
                                 "were trained on. Hint: proxy=frame['rv'].")
        scale = proxy_scale(log_returns(close), proxy)
    variance_of = dict(variance_of or {})
    rows, results = {}, {}
    for model in variance_forecasts.columns:
        fc = variance_forecasts[model].dropna()
        # the level matters to vol-targeting only; the regime rule ranks a forecast against its own past
        sized = fc * scale.reindex(fc.index) if scale is not None and variance_of.get(model, "target") == "target" else fc
        for strategy, weights, tv in (
            ("vol_target", vol_target_weights(sized, target=target, max_leverage=max_leverage, smooth=smooth), target),
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
