"""Target weights to a vectorbt portfolio, with costs and a buy-and-hold benchmark.

Timing (see :mod:`strategies.timing`): the weight labelled ``t`` is decided at
the close of ``t - 1``, so its order is placed at that close (vectorbt fills
at the bar's close) and the position earns the return of ``t``. The order
for the last weight, whose day lies past the data, is never placed. A
backtest covers the days from the first to the last with a weight: days of
prices after the last decision are not traded or scored (holding the last
position through them would be a decision nobody made).

Orders are vectorbt ``targetpercent`` orders: a weight of 0.8 buys or sells
until the position is 80 % of the portfolio's value. With
``rebalance="on_change"`` (default) an order goes out only when the weight
changes, so a held weight drifts with the price, and a rebalance band (see
:func:`strategies.vol_target.apply_band`) really saves trades; ``"daily"``
re-targets every day. Fees and slippage are in basis points of traded value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.checks import check_choice, check_number
from core.errors import ParameterError
from strategies.performance import TRADING_DAYS, performance

__all__ = ["BacktestResult", "backtest", "order_sizes", "run_orders", "trading_rows"]

Rebalance = Literal["on_change", "daily"]


def trading_rows(close: pd.Series | pd.DataFrame, weights: pd.Series | pd.DataFrame, who: str) -> slice:
    """Rows of ``close`` traded: from the close before the first day with a
    weight (where its order goes out) to the last day with a weight.
    """
    decided = weights.notna() if isinstance(weights, pd.Series) else weights.notna().any(axis=1)
    if not decided.any():
        raise ParameterError(f"{who}: every weight is NaN; nothing to trade.")
    flags = decided.to_numpy()
    first, last = weights.index[np.argmax(flags)], weights.index[len(flags) - 1 - np.argmax(flags[::-1])]
    start = close.index.get_loc(first) - 1  # the first order goes out at the close before
    if start < 0:
        raise ParameterError(
            f"{who}: the first weight is for {first.date()}, the first day of prices: no earlier close to trade at."
        )
    return slice(start, close.index.get_loc(last) + 1)


def order_sizes(
    weights: pd.Series | pd.DataFrame, index: pd.DatetimeIndex, rebalance: Rebalance
) -> pd.Series | pd.DataFrame:
    """Target percents to send at each close: the weight held the next day.

    Row ``t - 1`` of the result holds the weight labelled ``t``; NaN means no
    order. With ``"on_change"``, only rows where that weight differs from the
    one before carry an order (the first decided weight always does).
    """
    held = weights.reindex(index)
    sizes = held.shift(-1)
    if rebalance == "on_change":
        prev = held
        changed = (sizes != prev) & sizes.notna()
        changed |= sizes.notna() & prev.isna()
        sizes = sizes.where(changed)
    return sizes


@dataclass(frozen=True)
class BacktestResult:
    """A backtest and everything a report needs from it.

    Attributes
    ----------
    portfolio : vectorbt.Portfolio
    returns : Series, daily simple returns of the strategy over the traded period
    weights : Series or DataFrame, the target weight held each day
    turnover : Series, traded value over portfolio value, per day
    costs : Series, fees and slippage paid per day as a fraction of portfolio value
    benchmark : Series, daily returns of buy and hold over the same days
    stats : DataFrame, ``performance`` of the strategy and the benchmark, plus
        annual turnover and costs
    target_vol : float or None, the volatility target, for vol-targeting
    """

    portfolio: Any
    returns: pd.Series
    weights: pd.Series | pd.DataFrame
    turnover: pd.Series
    costs: pd.Series
    benchmark: pd.Series
    stats: pd.DataFrame
    target_vol: float | None = None

    @property
    def equity(self) -> pd.Series:
        """Growth of one unit of capital."""
        return (1 + self.returns).cumprod()


def run_orders(close: pd.DataFrame, sizes: pd.DataFrame, fees: float, slippage: float, group: bool):
    """One vectorbt call: target-percent orders on every column (a universe shares cash when ``group``).

    Returns the portfolio, its value by date (one column per column, or one for a
    group) and the order records.
    """
    import vectorbt as vbt

    with warnings.catch_warnings():
        # vectorbt's own pandas deprecation warnings are not the user's to fix
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"vectorbt")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"vectorbt")
        warnings.filterwarnings("ignore", message=r".*inplace keyword.*")
        kwargs = dict(size=sizes, size_type="targetpercent", fees=fees, slippage=slippage, init_cash=1.0, freq="1D")
        if group:
            kwargs.update(group_by=True, cash_sharing=True, call_seq="auto")
        pf = vbt.Portfolio.from_orders(close, **kwargs)
        value = pf.value()
        orders = pf.orders.records_arr
    return pf, value, orders


def backtest(
    close: pd.Series | pd.DataFrame,
    weights: pd.Series | pd.DataFrame,
    *,
    fees_bps: float = 2.0,
    slippage_bps: float = 0.0,
    rebalance: Rebalance = "on_change",
    target_vol: float | None = None,
    name: str | None = None,
) -> BacktestResult:
    """Run target weights through vectorbt and measure the result.

    Parameters
    ----------
    close : Series or DataFrame (dates x assets)
        Close prices by date.
    weights : Series or DataFrame, same columns
        Target weight held each day (from :mod:`strategies.vol_target` or
        :mod:`strategies.threshold`); NaN before the first decision.
    fees_bps, slippage_bps : float
        Per trade, in basis points of traded value (2.0 = 0.02 %).
    rebalance : {"on_change", "daily"}, default "on_change"
    target_vol : float, optional
        Recorded for vol-targeting so that realised and target volatility can
        be compared.
    name : str, optional

    Returns
    -------
    BacktestResult
    """
    check_number("backtest", "fees_bps", fees_bps, lambda v: v >= 0, "a non-negative number of basis points")
    check_number("backtest", "slippage_bps", slippage_bps, lambda v: v >= 0, "a non-negative number of basis points")
    check_choice("backtest", "rebalance", rebalance, ("on_change", "daily"))
    multi = isinstance(close, pd.DataFrame)
    if multi != isinstance(weights, pd.DataFrame):
        raise ParameterError(
            "backtest: close and weights must both be Series (one asset) or both DataFrames (a universe)."
        )
    if multi and list(close.columns) != list(weights.columns):
        raise ParameterError(
            f"backtest: weights columns {list(weights.columns)} must match close columns {list(close.columns)}."
        )
    if not isinstance(close.index, pd.DatetimeIndex) or not close.index.is_monotonic_increasing:
        raise ParameterError("backtest: close must be indexed by sorted dates.")
    if not weights.index.isin(close.index).all():
        outside = weights.index[~weights.index.isin(close.index)]
        raise ParameterError(
            f"backtest: weights are labelled on {len(outside)} date(s) without a close, the first "
            f"{outside[0].date()}. Hint: reindex weights to the price dates."
        )

    px = close.iloc[trading_rows(close, weights, "backtest")]
    px_frame = px if multi else px.to_frame("asset")
    sizes = order_sizes(weights, px.index, rebalance)
    size_frame = sizes if multi else sizes.to_frame("asset")
    fees, slip = fees_bps / 1e4, slippage_bps / 1e4

    pf, value, orders = run_orders(px_frame, size_frame, fees, slip, group=multi)
    value = value if isinstance(value, pd.Series) else value.iloc[:, 0]
    returns = value.pct_change().iloc[1:]
    prev_value = value.shift(1)
    traded = pd.Series(0.0, index=px.index)
    paid = pd.Series(0.0, index=px.index)
    if len(orders):
        when = px.index[orders["idx"]]
        notional = np.abs(orders["size"] * orders["price"])
        # slippage is inside the fill price: its cost is the price gap times size
        ref = px_frame.to_numpy()[orders["idx"], orders["col"]]
        slip_cost = np.abs(orders["price"] - ref) * orders["size"]
        traded = traded.add(pd.Series(notional, index=when).groupby(level=0).sum(), fill_value=0.0)
        paid = paid.add(pd.Series(orders["fees"] + slip_cost, index=when).groupby(level=0).sum(), fill_value=0.0)
    base = prev_value.fillna(1.0)
    turnover = (traded / base).iloc[1:].rename("turnover")
    costs = (paid / base).iloc[1:].rename("costs")

    held = weights.reindex(returns.index)
    bench_px = px_frame.pct_change().iloc[1:]
    benchmark = bench_px.mean(axis=1).rename("buy_and_hold")  # equal weight, rebalanced daily, for a universe
    if not multi:
        benchmark = bench_px.iloc[:, 0].rename("buy_and_hold")
    label = name or (weights.name if isinstance(weights, pd.Series) and weights.name else "strategy")
    rows = {label: performance(returns), "buy_and_hold": performance(benchmark)}
    stats = pd.DataFrame.from_dict(rows, orient="index")
    years = len(returns) / TRADING_DAYS
    stats["turnover_per_year"] = [turnover.sum() / years, 0.0]
    stats["costs_per_year"] = [costs.sum() / years, 0.0]
    if target_vol is not None:
        stats["target_vol"] = [target_vol, np.nan]
    return BacktestResult(pf, returns.rename(label), held, turnover, costs, benchmark, stats, target_vol)
