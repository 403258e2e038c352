"""Parameter grids as one vectorised vectorbt call, with the deflated Sharpe ratio.

Every combination of parameters becomes one column of weights; vectorbt runs all
columns in a single ``Portfolio.from_orders`` call (no Python loop over
backtests). The best combination is then tested against buy and hold: the
Sharpe ratio of its returns minus buy and hold's is deflated for every
combination tried (:func:`deflate`, :func:`core.evaluation.performance.deflated_sharpe`);
a search over several models counts all their trials.
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
from core.evaluation.performance import TRADING_DAYS, deflated_sharpe, performance, sharpe_ratio
from strategies.backtest import (
    DEPOSIT,
    LOAN,
    Rebalance,
    financing_sizes,
    money_market,
    order_sizes,
    run_orders,
    trading_rows,
)
from strategies.calibration import Calibrate, calibrated
from strategies.financing import RiskFree
from strategies.spec import DEFAULT_SPEC
from strategies.threshold import threshold_weights
from strategies.vol_target import vol_target_weights

__all__ = ["GridResult", "deflate", "run_grid", "threshold_grid", "vol_target_grid"]


@dataclass(frozen=True)
class GridResult:
    """Statistics per combination, the best one, and its deflated Sharpe ratio.

    Attributes
    ----------
    stats : DataFrame, one row per combination (indexed by the parameters); ``active_sharpe``
        is the Sharpe ratio of its returns minus buy and hold's
    returns : DataFrame, daily returns, one column per combination
    best : tuple, the parameters with the highest Sharpe ratio
    deflated_sharpe : float, probability that the best one's edge over buy and hold is skill
        rather than the luck of ``n_trials`` tries (:func:`deflate`)
    n_trials : int
    active : DataFrame, daily returns minus buy and hold's, one column per combination
    """

    stats: pd.DataFrame
    returns: pd.DataFrame
    best: tuple
    deflated_sharpe: float
    n_trials: int
    active: pd.DataFrame | None = None


def run_grid(
    close: pd.Series,
    grid: Mapping[str, Sequence],
    make_weights: Callable[..., pd.Series],
    *,
    fees_bps: float = 2.0,
    slippage_bps: float = 0.0,
    rebalance: Rebalance = "on_change",
    risk_free: RiskFree = DEFAULT_SPEC.risk_free,
    borrow_spread: float = DEFAULT_SPEC.borrow_spread,
) -> GridResult:
    """Backtest ``make_weights(**params)`` for every combination of ``grid`` in one call.

    Each combination trades as :func:`strategies.backtest.backtest` would: its
    own cash, a deposit for what it leaves uninvested and a loan for what it
    borrows (so a leverage cap above 1 executes), and the costs given.

    Parameters
    ----------
    close : Series, one asset's close prices
    grid : dict of parameter name to the values to try
    make_weights : function of the parameters returning weights labelled by day held
    fees_bps, slippage_bps : float, default 2.0 and 0.0
    rebalance : {"on_change", "daily"}
    risk_free, borrow_spread : as in :func:`strategies.backtest.backtest`
    """
    names = list(grid)
    combos = list(itertools.product(*(grid[n] for n in names)))
    if not combos:
        raise ParameterError("run_grid: the grid is empty; give at least one value per parameter.")
    weights = pd.concat(
        [make_weights(**dict(zip(names, c, strict=True))).rename(i) for i, c in enumerate(combos)], axis=1
    )
    px = close.iloc[trading_rows(close, weights, "run_grid")]
    paths, rf, _ = money_market(px.index, risk_free, borrow_spread, "run_grid")
    value = _grouped_values(px, weights, paths, rebalance, fees_bps, slippage_bps)
    returns = value.pct_change().iloc[1:]
    index = (
        pd.MultiIndex.from_tuples(combos, names=names)
        if len(names) > 1
        else pd.Index([c[0] for c in combos], name=names[0])
    )
    returns.columns = index
    rf_days = rf.reindex(returns.index)
    stats = pd.DataFrame([performance(returns.iloc[:, i], rf_days) for i in range(len(combos))], index=index)
    benchmark = px.pct_change().reindex(returns.index)
    active = returns.sub(benchmark, axis=0)
    stats["active_sharpe"] = sharpe_ratio(active.to_numpy())
    if stats["sharpe"].isna().all():
        # no combination ever traded (a forecast that never crosses a threshold): nothing to choose or deflate
        return GridResult(stats, returns, combos[0], np.nan, len(combos), active)
    best_i = int(np.nanargmax(stats["sharpe"].to_numpy()))
    dsr = deflate([stats["active_sharpe"].to_numpy()], [active.iloc[:, best_i]])[0]
    return GridResult(stats, returns, combos[best_i], dsr, len(combos), active)


def _grouped_values(
    px: pd.Series,
    weights: pd.DataFrame,
    paths: pd.DataFrame,
    rebalance: Rebalance,
    fees_bps: float,
    slippage_bps: float,
) -> pd.DataFrame:
    """Each weight column's portfolio value by day, in one vectorbt call: per column the asset,
    its deposit and its loan (``paths``), sharing that column's cash.
    """
    sizes = order_sizes(weights, px.index, rebalance)
    aims = weights.reindex(px.index).shift(-1)
    columns, prices, orders, groups = [], [], [], []
    for i in range(weights.shape[1]):
        money = financing_sizes(aims[[i]], sizes[[i]])
        columns += [f"asset{i}", f"{DEPOSIT}{i}", f"{LOAN}{i}"]
        prices += [px.to_numpy(), paths[DEPOSIT].to_numpy(), paths[LOAN].to_numpy()]
        orders += [sizes[i].to_numpy(), money[DEPOSIT].to_numpy(), money[LOAN].to_numpy()]
        groups += [i, i, i]
    wide_px = pd.DataFrame(np.column_stack(prices), index=px.index, columns=columns)
    wide_sizes = pd.DataFrame(np.column_stack(orders), index=px.index, columns=columns)
    _, value, _, _ = run_orders(wide_px, wide_sizes, fees_bps / 1e4, slippage_bps / 1e4, group=np.array(groups))
    return pd.DataFrame(value, index=px.index)


def deflate(active_sharpes: Sequence[np.ndarray], winners: Sequence[pd.Series]) -> list[float]:
    """The deflated Sharpe ratio of each winner against the benchmark, every trial counted.

    Parameters
    ----------
    active_sharpes : list of arrays, the annualised Sharpe ratio of every trial's returns minus
        the benchmark's, one array per search (a model's thresholds); all of them are the trials
    winners : list of Series, each search's chosen trial's daily returns minus the benchmark's

    Returns
    -------
    list of float: the probability that each winner's true edge over the benchmark beats the best
    expected by luck among all the trials made (:func:`core.evaluation.performance.deflated_sharpe`).
    """
    per_period = np.concatenate([np.asarray(a, dtype=float) for a in active_sharpes]) / np.sqrt(TRADING_DAYS)
    finite = per_period[np.isfinite(per_period)]
    n_trials = len(per_period)
    var = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    out = []
    for r in winners:
        r = r.dropna()
        sr = float(sharpe_ratio(r.to_numpy())) / np.sqrt(TRADING_DAYS)
        if not np.isfinite(sr) or len(r) < 2:
            out.append(np.nan)
            continue
        out.append(
            deflated_sharpe(
                sr,
                len(r),
                n_trials,
                var,
                skew=float(sps.skew(r)),
                kurtosis=float(sps.kurtosis(r, fisher=False)),
            )
        )
    return out


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
    slippage_bps: float = DEFAULT_SPEC.slippage_bps,
    risk_free: RiskFree = DEFAULT_SPEC.risk_free,
    borrow_spread: float = DEFAULT_SPEC.borrow_spread,
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
        slippage_bps=slippage_bps,
        risk_free=risk_free,
        borrow_spread=borrow_spread,
    )


def threshold_grid(
    close: pd.Series,
    return_forecast: pd.Series,
    *,
    uppers: Sequence[float] = (0.0, 0.0005, 0.001),
    short: Sequence[bool] = (True, False),
    between: Sequence[str] = ("flat", "hold"),
    fees_bps: float = DEFAULT_SPEC.fees_bps,
    slippage_bps: float = DEFAULT_SPEC.slippage_bps,
    risk_free: RiskFree = DEFAULT_SPEC.risk_free,
    borrow_spread: float = DEFAULT_SPEC.borrow_spread,
) -> GridResult:
    """Threshold trades over thresholds x short/long-only x between-rule, in one vectorbt call."""
    return run_grid(
        close,
        {"upper": uppers, "short": short, "between": between},
        lambda upper, short, between: threshold_weights(return_forecast, upper=upper, short=short, between=between),
        fees_bps=fees_bps,
        slippage_bps=slippage_bps,
        risk_free=risk_free,
        borrow_spread=borrow_spread,
    )
