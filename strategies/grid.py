"""Parameter grids as one vectorised vectorbt call, with the deflated Sharpe ratio.

Every combination of parameters becomes one column of weights; vectorbt runs all
columns in a single ``Portfolio.from_orders`` call (no Python loop over
backtests). The best combination's Sharpe ratio is then deflated for the number
of combinations tried (:func:`strategies.performance.deflated_sharpe`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from core.checks import check_choice
from core.errors import ParameterError
from strategies.backtest import Rebalance, order_sizes, run_orders, trading_rows
from strategies.calibration import Calibrate, calibrated
from strategies.performance import TRADING_DAYS, deflated_sharpe, performance
from strategies.spec import DEFAULT_SPEC
from strategies.threshold import threshold_weights
from strategies.vol_target import vol_target_weights

__all__ = ["GridResult", "run_grid", "threshold_grid", "vol_target_grid"]


@dataclass(frozen=True)
class GridResult:
    """Statistics per combination, the best one, and its deflated Sharpe ratio.

    Attributes
    ----------
    stats : DataFrame, one row per combination (indexed by the parameters)
    returns : DataFrame, daily returns, one column per combination
    best : tuple, the parameters with the highest Sharpe ratio
    deflated_sharpe : float, probability that the best is skill rather than luck
    n_trials : int
    """

    stats: pd.DataFrame
    returns: pd.DataFrame
    best: tuple
    deflated_sharpe: float
    n_trials: int


def run_grid(
    close: pd.Series,
    grid: Mapping[str, Sequence],
    make_weights: Callable[..., pd.Series],
    *,
    fees_bps: float = 2.0,
    rebalance: Rebalance = "on_change",
) -> GridResult:
    """Backtest ``make_weights(**params)`` for every combination of ``grid`` in one call.

    Parameters
    ----------
    close : Series, one asset's close prices
    grid : dict of parameter name to the values to try
    make_weights : function of the parameters returning weights labelled by day held
    fees_bps : float, default 2.0
    rebalance : {"on_change", "daily"}
    """
    names = list(grid)
    combos = list(itertools.product(*(grid[n] for n in names)))
    if not combos:
        raise ParameterError("run_grid: the grid is empty; give at least one value per parameter.")
    weights = pd.concat(
        [make_weights(**dict(zip(names, c, strict=True))).rename(i) for i, c in enumerate(combos)], axis=1
    )
    px = close.iloc[trading_rows(close, weights, "run_grid")]
    sizes = order_sizes(weights, px.index, rebalance)
    wide_px = pd.DataFrame(
        np.repeat(px.to_numpy()[:, None], len(combos), axis=1), index=px.index, columns=sizes.columns
    )
    _, value, _ = run_orders(wide_px, sizes, fees_bps / 1e4, 0.0, group=False)
    returns = value.pct_change().iloc[1:]
    index = (
        pd.MultiIndex.from_tuples(combos, names=names)
        if len(names) > 1
        else pd.Index([c[0] for c in combos], name=names[0])
    )
    returns.columns = index
    stats = pd.DataFrame([performance(returns.iloc[:, i]) for i in range(len(combos))], index=index)
    per_period = stats["sharpe"] / np.sqrt(TRADING_DAYS)  # the deflated Sharpe ratio works per period
    if per_period.isna().all():
        # no combination ever traded (a forecast that never crosses a threshold): nothing to choose or deflate
        return GridResult(stats, returns, combos[0], np.nan, len(combos))
    best_i = int(np.nanargmax(per_period.to_numpy()))
    r_best = returns.iloc[:, best_i].dropna()
    dsr = deflated_sharpe(
        float(per_period.iloc[best_i]),
        len(r_best),
        len(combos),
        float(np.nanvar(per_period.to_numpy(), ddof=1)) if per_period.notna().sum() > 1 else 0.0,
        skew=float(sps.skew(r_best)),
        kurtosis=float(sps.kurtosis(r_best, fisher=False)),
    )
    return GridResult(stats, returns, combos[best_i], dsr, len(combos))


def vol_target_grid(
    close: pd.Series,
    variance_forecast: pd.Series,
    *,
    targets: Sequence[float] = (0.05, 0.10, 0.15, 0.20),
    bands: Sequence[float] = (0.0, 0.05, 0.1),
    max_leverage: Sequence[float] = (1.0, 2.0),
    smooths: Sequence[int] = (DEFAULT_SPEC.smooth,),
    fees_bps: float = DEFAULT_SPEC.fees_bps,
    calibrate: Calibrate = DEFAULT_SPEC.calibrate,
    proxy: pd.Series | None = None,
) -> GridResult:
    """Vol-targeting over targets x bands x leverage caps x forecast smoothing
    (``smooth`` of :func:`strategies.vol_target.vol_target_weights`; by default
    the one of :data:`strategies.spec.DEFAULT_SPEC`), in one vectorbt call.

    With ``calibrate="proxy"`` (the default, as in ``tradecast run``) the
    forecast of the realised-variance ``proxy`` is first scaled to the variance of
    the returns traded (:func:`strategies.calibration.proxy_scale`); pass
    ``calibrate="none"`` for a forecast of return variance (GARCH).
    """
    check_choice("vol_target_grid", "calibrate", calibrate, ("none", "proxy"))
    if calibrate == "proxy":
        if proxy is None:
            raise ParameterError(
                "vol_target_grid: calibrate='proxy' needs proxy, the realised-variance series the forecast "
                "was trained on. Hint: proxy=frame['rv'], or calibrate='none'."
            )
        variance_forecast = calibrated(variance_forecast, close, proxy)
    return run_grid(
        close,
        {"target_vol": targets, "band": bands, "max_leverage": max_leverage, "smooth": smooths},
        lambda target_vol, band, max_leverage, smooth: vol_target_weights(
            variance_forecast, target_vol=target_vol, band=band, max_leverage=max_leverage, smooth=smooth
        ),
        fees_bps=fees_bps,
    )


def threshold_grid(
    close: pd.Series,
    return_forecast: pd.Series,
    *,
    uppers: Sequence[float] = (0.0, 0.0005, 0.001),
    short: Sequence[bool] = (True, False),
    between: Sequence[str] = ("flat", "hold"),
    fees_bps: float = 2.0,
) -> GridResult:
    """Threshold trades over thresholds x short/long-only x between-rule, in one vectorbt call."""
    return run_grid(
        close,
        {"upper": uppers, "short": short, "between": between},
        lambda upper, short, between: threshold_weights(return_forecast, upper=upper, short=short, between=between),
        fees_bps=fees_bps,
    )
