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

Cash and leverage (:mod:`strategies.financing`). vectorbt lends nothing: a
long position is capped at the cash in the account, so a target of 2.0 would be
filled at 1.0. Two instruments of the backtest's own stand in for the money
market: a deposit whose price grows at the risk-free rate, held for the part of
equity not invested (``1 - sum(weights)`` when positive), and a loan whose price
grows at the risk-free rate plus ``borrow_spread``, sold short for the part
borrowed (``sum(weights) - 1`` when positive). They share cash with the assets,
are rebalanced when the weights are, cost no fees, and their growth is the
interest earned and paid. A target of 2.0 is then held at 2.0 (a test checks
it), and the interest paid on the loan is in the returns.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.checks import check_choice, check_number
from core.errors import ParameterError
from core.evaluation.performance import TRADING_DAYS, performance
from strategies.financing import RiskFree, daily_rates
from strategies.spec import DEFAULT_SPEC

__all__ = [
    "DEPOSIT",
    "LOAN",
    "MAX_COLUMNS",
    "BacktestResult",
    "backtest",
    "backtests",
    "financing_sizes",
    "money_market",
    "order_sizes",
    "run_orders",
    "trading_rows",
    "values_of",
]

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
    prev = held.to_numpy(dtype=float)
    nxt = np.full_like(prev, np.nan)
    nxt[:-1] = prev[1:]  # shift(-1), on arrays: a pandas frame per step cost more than the backtest
    if rebalance == "on_change":
        known = ~np.isnan(nxt)
        changed = known & ((nxt != prev) | np.isnan(prev))
        nxt = np.where(changed, nxt, np.nan)
    if isinstance(held, pd.DataFrame):
        return pd.DataFrame(nxt, index=held.index, columns=held.columns)
    return pd.Series(nxt, index=held.index, name=held.name)


@dataclass(frozen=True)
class BacktestResult:
    """A backtest and everything a report needs from it.

    Attributes
    ----------
    portfolio : vectorbt.Portfolio, the assets with the deposit and loan columns
    returns : Series, daily simple returns of the strategy over the traded period
    weights : Series or DataFrame, the weight actually held each day: the
        position's value at the close before over the portfolio's value then
        (targets drift with prices between rebalances)
    turnover : Series, traded value of the assets over portfolio value, per day
    costs : Series, fees and slippage paid per day as a fraction of portfolio value
    benchmark : Series, daily returns of buy and hold over the same days
    stats : DataFrame, ``performance`` of the strategy and the benchmark (Sharpe
        and Sortino in excess of the risk-free rate), plus annual turnover, costs
        and net financing (interest paid on borrowing less interest earned on cash)
    target_vol : float or None, the volatility target, for vol-targeting
    targets : Series or DataFrame, the target weights the orders aimed at
    risk_free : Series, the risk-free rate earned over each day of ``returns``
    note : str, what was assumed about the rates (a carried T-bill rate), or ""
    """

    portfolio: Any
    returns: pd.Series
    weights: pd.Series | pd.DataFrame
    turnover: pd.Series
    costs: pd.Series
    benchmark: pd.Series
    stats: pd.DataFrame
    target_vol: float | None = None
    targets: pd.Series | pd.DataFrame | None = None
    risk_free: pd.Series | None = None
    note: str = ""

    @property
    def equity(self) -> pd.Series:
        """Growth of one unit of capital."""
        return (1 + self.returns).cumprod()


#: Columns of one vectorbt call at most (at least one strategy a call): vectorbt reserves an order
#: record per cell, so memory grows with columns x rows; groups never share cash, so the batches
#: give the numbers of one call.
MAX_COLUMNS = 2048

#: Names of the money-market columns a backtest adds beside the assets.
DEPOSIT, LOAN = "__deposit__", "__loan__"


def financing_sizes(targets: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """Target percents of the deposit and the loan at each row where an asset order goes out:
    the part of equity not invested, and (negative) the part borrowed.

    ``targets`` holds the weight each row's order aims at for every asset (NaN where
    undecided), ``sizes`` the orders (NaN where none).
    """
    net = targets.fillna(0.0).sum(axis=1).to_numpy()
    placed = ~np.isnan(sizes.to_numpy(dtype=float)).all(axis=1)
    deposit = np.where(placed, np.maximum(1.0 - net, 0.0), np.nan)
    loan = np.where(placed, -np.maximum(net - 1.0, 0.0), np.nan)
    return pd.DataFrame({DEPOSIT: deposit, LOAN: loan}, index=sizes.index)


def run_orders(
    close: pd.DataFrame,
    sizes: pd.DataFrame,
    fees: float,
    slippage: float,
    group: bool | np.ndarray,
):
    """One vectorbt call: target-percent orders on every column; ``group`` True puts every
    column in one cash-sharing group, an array gives each column its group (a grid).
    Fees and slippage apply to the asset columns only, never to :data:`DEPOSIT` and :data:`LOAN`.

    Returns the portfolio, its value by date (T, groups; or T, columns without groups),
    every column's position value by date (T, columns) and the order records.
    """
    import vectorbt as vbt

    money = np.array([c in (DEPOSIT, LOAN) or str(c).startswith((DEPOSIT, LOAN)) for c in close.columns])
    with warnings.catch_warnings():
        # vectorbt's own pandas deprecation warnings are not the user's to fix
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"vectorbt")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"vectorbt")
        warnings.filterwarnings("ignore", message=r".*inplace keyword.*")
        kwargs: dict[str, Any] = dict(
            size=sizes,
            size_type="targetpercent",
            fees=np.where(money, 0.0, fees)[None, :],
            slippage=np.where(money, 0.0, slippage)[None, :],
            init_cash=1.0,
            freq="1D",
            direction="both",
        )
        if group is not False:
            by = True if group is True else group
            kwargs.update(group_by=by, cash_sharing=True, call_seq="auto")
        pf = vbt.Portfolio.from_orders(close, **kwargs)
        value, held = values_of(pf)
        orders = pf.orders.records_arr
    return pf, value, held, orders


def values_of(pf: Any) -> tuple[np.ndarray, np.ndarray]:
    """``pf.value()`` and ``pf.asset_value(group_by=False)`` of a vectorbt portfolio, as arrays.

    vectorbt's own kernels (``vectorbt.portfolio.dispatch``) on the same inputs, in the order
    its ``Portfolio`` methods call them, without their pandas wrapping and configuration
    merges, which cost two thirds of a one-asset strategy table's vectorbt time (19 of 29 ms);
    the same bits (tested).

    Returns
    -------
    value : array, shape (T, groups), or (T, columns) for a portfolio without groups
    held : array, shape (T, columns), each position's value (0 where none is held)
    """
    from vectorbt.base.reshape_fns import to_1d_array, to_2d_array
    from vectorbt.portfolio import dispatch
    from vectorbt.portfolio.enums import Direction

    engine, shape = pf.engine, pf.wrapper.shape_2d
    records, col_map = pf.orders.values, pf.orders.col_mapper.col_map
    assets = dispatch.assets(dispatch.asset_flow(shape, records, col_map, Direction.Both, engine=engine), engine=engine)
    close = to_2d_array(pf.get_filled_close() if pf.fillna_close else pf.close).copy()
    close[assets == 0] = 0.0  # a NaN price where nothing is held
    held = dispatch.asset_value(close, assets, engine=engine)
    cash_flow = dispatch.cash_flow(shape, records, col_map, False, engine=engine)
    init_cash = to_1d_array(pf.get_init_cash())
    if pf.wrapper.grouper.is_grouped():
        lens = pf.wrapper.grouper.get_group_lens()
        grouped_flow = dispatch.cash_flow_grouped(cash_flow, lens, engine=engine)
        cash = dispatch.cash_grouped(shape, grouped_flow, lens, init_cash, engine=engine)
        return dispatch.value(cash, dispatch.asset_value_grouped(held, lens, engine=engine), engine=engine), held
    return dispatch.value(dispatch.cash(cash_flow, init_cash, engine=engine), held, engine=engine), held


def money_market(
    index: pd.DatetimeIndex, risk_free: RiskFree, borrow_spread: float, who: str
) -> tuple[pd.DataFrame, pd.Series, str]:
    """Price paths of the deposit and the loan over ``index`` (1 on its first day), the
    daily risk-free rate, and the rates' note (:func:`strategies.financing.daily_rates`).
    """
    rf, note = daily_rates(risk_free, index, who=who)
    borrow, _ = daily_rates(risk_free, index, spread=borrow_spread, who=who)
    rf.iloc[0] = borrow.iloc[0] = 0.0  # prices start at 1 on the first day
    paths = pd.DataFrame({DEPOSIT: (1 + rf).cumprod(), LOAN: (1 + borrow).cumprod()}, index=index)
    return paths, rf, note


def backtest(
    close: pd.Series | pd.DataFrame,
    weights: pd.Series | pd.DataFrame,
    *,
    fees_bps: float = 2.0,
    slippage_bps: float = 0.0,
    rebalance: Rebalance = "on_change",
    target_vol: float | None = None,
    name: str | None = None,
    risk_free: RiskFree = DEFAULT_SPEC.risk_free,
    borrow_spread: float = DEFAULT_SPEC.borrow_spread,
) -> BacktestResult:
    """Run target weights through vectorbt and measure the result.

    Parameters
    ----------
    close : Series or DataFrame (dates x assets)
        Close prices by date.
    weights : Series or DataFrame, same columns
        Target weight held each day (from :mod:`strategies.vol_target` or
        :mod:`strategies.threshold`); NaN before the first decision. A sum
        above 1 is held with borrowed cash (see the module docstring).
    fees_bps, slippage_bps : float
        Per trade, in basis points of traded value (2.0 = 0.02 %).
    rebalance : {"on_change", "daily"}, default "on_change"
    target_vol : float, optional
        Recorded for vol-targeting so that realised and target volatility can
        be compared.
    name : str, optional
    risk_free : float or "tbill", default "tbill" (:data:`strategies.spec.DEFAULT_SPEC`'s)
        What cash earns and the Sharpe ratio's hurdle: an annual rate, or the
        embedded one-month T-bill (:mod:`strategies.financing`).
    borrow_spread : float, default 0.01
        Annual rate over ``risk_free`` paid on borrowed cash.

    Returns
    -------
    BacktestResult

    See Also
    --------
    backtests : many strategies on the same prices in one vectorbt call (the same results).
    """
    label = name or (weights.name if isinstance(weights, pd.Series) and weights.name else "strategy")
    (result,) = backtests(
        close,
        {label: weights},
        fees_bps=fees_bps,
        slippage_bps=slippage_bps,
        rebalance=rebalance,
        target_vols={label: target_vol},
        risk_free=risk_free,
        borrow_spread=borrow_spread,
    ).values()
    return result


def backtests(
    close: pd.Series | pd.DataFrame,
    weights: Mapping[str, pd.Series | pd.DataFrame],
    *,
    fees_bps: float = 2.0,
    slippage_bps: float = 0.0,
    rebalance: Rebalance = "on_change",
    target_vols: Mapping[str, float | None] | None = None,
    risk_free: RiskFree = DEFAULT_SPEC.risk_free,
    borrow_spread: float = DEFAULT_SPEC.borrow_spread,
) -> dict[str, BacktestResult]:
    """Many strategies on the same prices, each with its own cash, in one vectorbt call
    per traded span: what a loop of :func:`backtest` gives (a test checks it), without
    a vectorbt portfolio, its wrappers and its money market per strategy (the largest
    part of a universe's scoring stage).

    Parameters
    ----------
    close : Series or DataFrame, as :func:`backtest`'s
    weights : dict of label to weights, each as :func:`backtest`'s ``weights``
    target_vols : dict of label to its volatility target (None or missing: none)
    fees_bps, slippage_bps, rebalance, risk_free, borrow_spread : as :func:`backtest`'s

    Returns
    -------
    dict of label to :class:`BacktestResult`, in the order of ``weights``. The
    ``portfolio`` of each is the vectorbt portfolio of its whole call, shared: a
    strategy's columns (its assets, deposit and loan) are one cash-sharing group,
    numbered by its position among the strategies of that call: those traded over
    the same span, :data:`MAX_COLUMNS` columns a call at most (vectorbt reserves
    an order record for every cell: 15 portfolios of 500 assets in one call took
    half a gigabyte).
    """
    check_number("backtest", "fees_bps", fees_bps, lambda v: v >= 0, "a non-negative number of basis points")
    check_number("backtest", "slippage_bps", slippage_bps, lambda v: v >= 0, "a non-negative number of basis points")
    check_number("backtest", "borrow_spread", borrow_spread, lambda v: 0 <= v < 1, "an annual rate in [0, 1)")
    check_choice("backtest", "rebalance", rebalance, ("on_change", "daily"))
    if not weights:
        raise ParameterError("backtests: weights is empty; give at least one strategy's weights.")
    spans: dict[tuple[int, int], list[str]] = {}
    for label, w in weights.items():
        _check_inputs(close, w)
        rows = trading_rows(close, w, "backtest")
        spans.setdefault((rows.start, rows.stop), []).append(label)
    out: dict[str, BacktestResult] = {}
    width = (close.shape[1] if isinstance(close, pd.DataFrame) else 1) + 2  # a strategy's columns
    per_call = max(1, MAX_COLUMNS // width)
    for (start, stop), labels in spans.items():
        px = close.iloc[start:stop]
        paths, rf, note = money_market(px.index, risk_free, borrow_spread, "backtest")
        for i in range(0, len(labels), per_call):  # groups never share cash: batches change no number
            batch = {k: weights[k] for k in labels[i : i + per_call]}
            out |= _run_span(px, batch, paths, rf, note, fees_bps / 1e4, slippage_bps / 1e4, rebalance)
    for label, res in out.items():
        tv = (target_vols or {}).get(label)
        if tv is not None:
            res.stats["target_vol"] = [tv, np.nan]
            out[label] = dataclasses.replace(res, target_vol=tv)
    return {k: out[k] for k in weights}


def _check_inputs(close: pd.Series | pd.DataFrame, weights: pd.Series | pd.DataFrame) -> None:
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


def _run_span(
    px: pd.Series | pd.DataFrame,
    weights: Mapping[str, pd.Series | pd.DataFrame],
    paths: pd.DataFrame,
    rf: pd.Series,
    note: str,
    fees: float,
    slip: float,
    rebalance: Rebalance,
) -> dict[str, BacktestResult]:
    """The strategies traded over the same rows ``px``: one group of columns each (its
    assets, its deposit, its loan) sharing that group's cash, in one vectorbt call.
    """
    multi = isinstance(px, pd.DataFrame)
    px_frame = px if multi else px.to_frame("asset")
    n_assets = px_frame.shape[1]
    width = n_assets + 2
    wide_px, wide_sizes = _wide_orders(px_frame, weights, paths, rebalance, multi)
    groups = np.repeat(np.arange(len(weights)), width)
    pf, values, held_values, orders = run_orders(wide_px, wide_sizes, fees, slip, group=groups)
    growth = paths.pct_change()
    bench_px = px_frame.pct_change().iloc[1:]
    benchmark = bench_px.mean(axis=1).rename("buy_and_hold")  # equal weight, rebalanced daily, for a universe
    if not multi:
        benchmark = bench_px.iloc[:, 0].rename("buy_and_hold")
    rf_days = rf.iloc[1:]  # rf is on the span's rows; returns start on its second
    bench_stats = performance(benchmark, rf_days)  # the same for every strategy of the span
    growth_days = growth.to_numpy()[1:]
    out = {}
    for g, (label, w) in enumerate(weights.items()):
        cols = slice(g * width, (g + 1) * width)
        mine = orders[(orders["col"] >= cols.start) & (orders["col"] < cols.stop)].copy()
        mine["col"] -= cols.start
        out[label] = _measure(
            label,
            px_frame,
            w,
            values[:, g],
            mine,
            held_values[:, cols],
            growth_days,
            rf_days,
            note,
            benchmark,
            bench_stats,
            multi,
            pf,
        )
    return out


def _wide_orders(
    px_frame: pd.DataFrame,
    weights: Mapping[str, pd.Series | pd.DataFrame],
    paths: pd.DataFrame,
    rebalance: Rebalance,
    multi: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The prices and the target-percent orders of every strategy side by side: each strategy's
    assets, its deposit and its loan (``#g`` and ``g`` suffixes by its position).
    """
    n_assets = px_frame.shape[1]
    prices, orders_in, columns = [], [], []
    for g, w in enumerate(weights.values()):
        w_frame = w if multi else w.to_frame("asset")
        sizes = order_sizes(w_frame, px_frame.index, rebalance)
        aims = w_frame.reindex(px_frame.index).shift(-1)  # what each row's orders aim at: the weight held the next day
        money = financing_sizes(aims, sizes)
        prices += [px_frame.to_numpy(), paths.to_numpy()]
        orders_in += [sizes.to_numpy(), money.to_numpy()]
        columns += [f"{c}#{g}" for c in range(n_assets)] + [f"{DEPOSIT}{g}", f"{LOAN}{g}"]
    wide_px = pd.DataFrame(np.hstack(prices), index=px_frame.index, columns=columns)
    return wide_px, pd.DataFrame(np.hstack(orders_in), index=px_frame.index, columns=columns)


def _measure(
    label: str,
    px_frame: pd.DataFrame,
    weights: pd.Series | pd.DataFrame,
    value: np.ndarray,
    orders: np.ndarray,
    held_value: np.ndarray,
    growth: np.ndarray,
    rf_days: pd.Series,
    note: str,
    benchmark: pd.Series,
    bench_stats: dict[str, float],
    multi: bool,
    pf: Any,
) -> BacktestResult:
    """One strategy's result from its group's value (T,), orders and positions' values (T, assets + 2:
    the assets, the deposit, the loan), on the span's rows ``px_frame.index``; ``growth`` (T - 1, 2)
    is the money market's daily growth and ``rf_days`` the risk-free rate on the days after the first.

    NumPy on the span's arrays (a pandas series per step cost a third of a universe's scoring), the
    same formulas: a day's return, turnover, costs, holdings and interest are measured on the value
    at the close before.
    """
    index = px_frame.index
    days = index[1:]
    prev = value[:-1]
    returns = pd.Series(value[1:] / prev - 1, index=days, name=label)
    n_assets = px_frame.shape[1]
    traded: np.ndarray = np.zeros(len(index))
    paid: np.ndarray = np.zeros(len(index))
    assets_only = orders[orders["col"] < n_assets]
    if len(assets_only):
        at = assets_only["idx"]
        # slippage is inside the fill price: its cost is the price gap times size
        ref = px_frame.to_numpy()[at, assets_only["col"]]
        slip_cost = np.abs(assets_only["price"] - ref) * assets_only["size"]
        traded = np.bincount(at, weights=np.abs(assets_only["size"] * assets_only["price"]), minlength=len(index))
        paid = np.bincount(at, weights=assets_only["fees"] + slip_cost, minlength=len(index))
    turnover = pd.Series(traded[1:] / prev, index=days, name="turnover")
    costs = pd.Series(paid[1:] / prev, index=days, name="costs")
    # interest: the money market's value a day before times its growth that day (a loan's value is negative)
    financing = -(held_value[:-1, n_assets:] * growth).sum(axis=1) / prev
    shares = held_value[:-1, :n_assets] / prev[:, None]
    held: pd.Series | pd.DataFrame = (
        pd.DataFrame(shares, index=days, columns=px_frame.columns)
        if multi
        else pd.Series(shares[:, 0], index=days, name=weights.name)
    )
    targets = weights.reindex(days)
    rows = {label: performance(returns, rf_days), "buy_and_hold": bench_stats}
    stats = pd.DataFrame.from_dict(rows, orient="index")
    years = len(returns) / TRADING_DAYS
    stats["turnover_per_year"] = [turnover.sum() / years, 0.0]
    stats["costs_per_year"] = [costs.sum() / years, 0.0]
    stats["financing_per_year"] = [financing.sum() / years, 0.0]
    return BacktestResult(pf, returns, held, turnover, costs, benchmark, stats, None, targets, rf_days, note)
