"""Backtests against equity curves worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from strategies.backtest import backtest, order_sizes

DAYS = pd.bdate_range("2021-03-01", periods=5)
CLOSE = pd.Series([100.0, 110.0, 99.0, 99.0, 108.9], index=DAYS)
# weight held on each day (decided at the previous close); none on day 1. These by-hand curves
# leave cash without interest (risk_free=0.0): 2021 is past the embedded T-bill data anyway.
WEIGHTS = pd.Series([np.nan, 0.5, 1.0, 1.0, 0.0], index=DAYS, name="w")


def test_orders_go_out_the_close_before():
    sizes = order_sizes(WEIGHTS, DAYS, "on_change")
    # close of day 1 -> 0.5 for day 2 ; day 2 -> 1.0 ; day 3: unchanged, no order ; day 4 -> 0.0 ; day 5: nothing after
    np.testing.assert_array_equal(sizes.to_numpy(), [0.5, 1.0, np.nan, 0.0, np.nan])
    daily = order_sizes(WEIGHTS, DAYS, "daily")
    np.testing.assert_array_equal(daily.to_numpy(), [0.5, 1.0, 1.0, 0.0, np.nan])


def test_five_day_equity_curve_by_hand():
    res = backtest(CLOSE, WEIGHTS, fees_bps=10.0, risk_free=0.0)
    f = 0.001
    # day 1 close 100: buy half of 1.0 -> 0.005 shares; fee 0.0005; cash 0.4995
    shares, cash = 0.005, 1.0 - 0.5 - 0.0005
    v1 = cash + shares * 100
    # day 2 close 110: value 0.4995 + 0.55 = 1.0495; target 100 %: all cash buys, the fee
    # included, so the day ends fully invested
    extra = cash / (110 * (1 + f))
    shares, cash = shares + extra, 0.0
    v2 = shares * 110
    # day 3 close 99: fully invested, weight unchanged for day 4 -> no order
    v3 = shares * 99
    # day 4 close 99: sell everything for day 5's weight 0, fee 0.1 %
    v4 = shares * 99 * (1 - f)
    # day 5 close 108.9: all cash
    v5 = v4
    want = pd.Series([v1, v2, v3, v4, v5], index=DAYS)
    np.testing.assert_allclose(res.portfolio.value().squeeze().to_numpy(), want.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(res.returns.to_numpy(), want.pct_change().to_numpy()[1:], rtol=1e-10)
    # costs: fees per day over the previous value; turnover: traded value over the previous value
    np.testing.assert_allclose(
        res.costs.to_numpy(), [cash_fee := extra * 110 * f / v1, 0.0, shares * 99 * f / v3, 0.0], rtol=1e-10
    )
    np.testing.assert_allclose(res.turnover.to_numpy(), [extra * 110 / v1, 0.0, shares * 99 / v3, 0.0], rtol=1e-10)
    assert cash_fee > 0


def test_days_after_the_last_weight_are_not_traded_or_scored():
    # the decisions end on day 3: days 4 and 5 of prices are outside the backtest,
    # for the strategy and for buy and hold, instead of holding day 3's weight on
    more_prices = pd.concat([CLOSE, pd.Series([50.0, 200.0], index=pd.bdate_range(DAYS[-1], periods=3)[1:])])
    short = WEIGHTS.iloc[:3]
    res = backtest(more_prices, short, fees_bps=0.0, risk_free=0.0)
    assert res.returns.index.equals(DAYS[1:3]) and res.benchmark.index.equals(DAYS[1:3])
    same = backtest(CLOSE.iloc[:3], short, fees_bps=0.0, risk_free=0.0)
    pd.testing.assert_frame_equal(res.stats, same.stats)


def test_benchmark_and_stats(tmp_path):
    res = backtest(CLOSE, WEIGHTS, fees_bps=0.0, risk_free=0.0)
    np.testing.assert_allclose(res.benchmark.to_numpy(), CLOSE.pct_change().to_numpy()[1:])
    assert list(res.stats.index) == ["w", "buy_and_hold"]
    assert {"sharpe", "sortino", "max_drawdown", "calmar", "annual_vol", "turnover_per_year"} <= set(res.stats.columns)
    # buy and hold: 100 -> 110 -> 99 -> 99 -> 108.9; worst fall 110 -> 99 = -10 %
    assert res.stats.loc["buy_and_hold", "max_drawdown"] == pytest.approx(-0.1)


def test_a_perfect_forecast_helps_only_when_aligned():
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2015-01-01", periods=750)
    r = rng.normal(0, 0.01, len(days))
    close = pd.Series(100 * np.exp(np.cumsum(r)), index=days)
    realized = np.log(close).diff()
    aligned = np.sign(realized)  # a clairvoyant forecast, labelled by the day it forecasts
    late = np.sign(realized.shift(1))  # yesterday's return, labelled today: honest, and useless
    good = backtest(close, aligned.rename("perfect"), fees_bps=0.0).stats.loc["perfect", "sharpe"]
    plain = backtest(close, late.rename("late"), fees_bps=0.0).stats.loc["late", "sharpe"]
    assert good > 10  # earns |r| every day
    assert abs(plain) < 1.5  # no edge: a random walk's sign does not persist


def test_universe_shares_cash():
    days = pd.bdate_range("2021-03-01", periods=4)
    close = pd.DataFrame({"A": [10.0, 11.0, 12.1, 12.1], "B": [20.0, 20.0, 18.0, 18.0]}, index=days)
    w = pd.DataFrame({"A": [np.nan, 0.5, 0.5, 0.5], "B": [np.nan, 0.5, 0.5, 0.5]}, index=days)
    res = backtest(close, w, fees_bps=0.0, risk_free=0.0)
    # half in each from day 1's close, held: day 2 = 0.5*1.1 + 0.5*1.0 ; day 3 = 0.5*1.21 + 0.5*0.9
    np.testing.assert_allclose((1 + res.returns).cumprod().to_numpy(), [1.05, 1.055, 1.055], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fees_bps": -1}, r"fees_bps must be a non-negative number of basis points; got -1"),
        ({"rebalance": "weekly"}, r"rebalance must be one of 'on_change', 'daily'; got 'weekly'"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        backtest(CLOSE, WEIGHTS, **kwargs)


def test_bad_inputs():
    with pytest.raises(ParameterError, match=r"every weight is NaN"):
        backtest(CLOSE, WEIGHTS * np.nan)
    with pytest.raises(ParameterError, match=r"the first weight is for 2021-03-01, the first day of prices"):
        backtest(CLOSE, WEIGHTS.fillna(1.0))
    with pytest.raises(
        ParameterError, match=r"weights are labelled on 1 date\(s\) without a close, the first 2021-03-08"
    ):
        backtest(CLOSE, pd.concat([WEIGHTS, pd.Series([1.0], index=[pd.Timestamp("2021-03-08")])]))
    with pytest.raises(ParameterError, match=r"both be Series \(one asset\) or both DataFrames"):
        backtest(CLOSE, WEIGHTS.to_frame())


def _drifting_prices(n: int = 260, seed: int = 4) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2010-01-04", periods=n)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0004, 0.012, n))), index=days)


def test_a_2x_target_is_held_at_2x_and_pays_for_its_loan():
    # vectorbt alone caps a long position at the cash in the account: a 2.0 target was filled
    # at 1.0. With the loan, re-targeted daily: held at 2.0, and each day's return is twice the
    # asset's less the borrowing rate on the other 1.0 (risk-free 2 % plus 1 %): by hand.
    from strategies.financing import daily_rates

    close = _drifting_prices()
    w = pd.Series(2.0, index=close.index[1:])
    res = backtest(close, w, fees_bps=0.0, rebalance="daily", risk_free=0.02, borrow_spread=0.01)
    np.testing.assert_allclose(res.weights.to_numpy(), 2.0, rtol=1e-9)
    asset = close.pct_change().reindex(res.returns.index)
    borrow, _ = daily_rates(0.02, close.index, spread=0.01)
    np.testing.assert_allclose(res.returns, 2 * asset - borrow.reindex(asset.index), rtol=1e-9, atol=1e-15)
    years = len(res.returns) / 252
    assert res.stats.iloc[0]["financing_per_year"] == pytest.approx(borrow.reindex(asset.index).sum() / years, rel=1e-6)
    # the realised volatility is twice the asset's, not the asset's
    assert res.returns.std() == pytest.approx(2 * asset.std(), rel=1e-3)


def test_uninvested_cash_earns_the_risk_free_rate_and_sharpe_ratios_are_in_excess_of_it():
    from core.evaluation.performance import performance
    from strategies.financing import daily_rates

    close = _drifting_prices()
    w = pd.Series(0.5, index=close.index[1:])
    res = backtest(close, w, fees_bps=0.0, rebalance="daily", risk_free=0.03)
    rf, _ = daily_rates(0.03, close.index)
    asset = close.pct_change().reindex(res.returns.index)
    np.testing.assert_allclose(res.returns, 0.5 * asset + 0.5 * rf.reindex(asset.index), rtol=1e-9, atol=1e-15)
    x = res.returns - rf.reindex(res.returns.index)
    assert res.stats.iloc[0]["sharpe"] == pytest.approx(x.mean() / x.std() * np.sqrt(252), rel=1e-12)
    assert res.stats.iloc[0]["sharpe"] != pytest.approx(performance(res.returns)["sharpe"], rel=1e-3)
    assert res.stats.iloc[0]["financing_per_year"] < 0  # cash earned interest, none was paid


def test_leverage_caps_of_one_and_two_give_different_results():
    # the grid's leverage rows were duplicates (every weight above 1 filled at 1) and counted as
    # separate trials; now each cap executes as configured
    from strategies.grid import vol_target_grid

    close = _drifting_prices(600)
    calm = pd.Series(0.006**2, index=close.index[1:])  # 0.6 % daily vol: a 15 % target wants 1.6x
    grid = vol_target_grid(
        close, calm, targets=(0.15,), bands=(0.0,), max_leverage=(1.0, 2.0), calibrate="none", fees_bps=0.0
    )
    one, two = grid.returns.iloc[:, 0], grid.returns.iloc[:, 1]
    assert not np.allclose(one, two)
    asset = close.pct_change().reindex(one.index)
    # the target, 1.58x, is set once (it never changes) and drifts as equity grows: well above 1x held
    assert 1.3 < two.std() / asset.std() < 1.6
    assert one.std() / asset.std() == pytest.approx(1.0, rel=0.01)


def test_daily_rates_accrue_by_calendar_day_and_the_tbill_is_carried_no_further_than_stated():
    from strategies.financing import CARRY_MONTHS, daily_rates

    days = pd.DatetimeIndex(["2010-03-05", "2010-03-08", "2010-03-09"])  # Friday, Monday, Tuesday
    rf, note = daily_rates(0.0365, days)
    per_day = 1.0365 ** (1 / 365) - 1
    np.testing.assert_allclose(rf.to_numpy(), [per_day, (1 + per_day) ** 3 - 1, per_day], rtol=1e-12)
    assert note == ""
    # the embedded T-bill ends in 2018-11: December is carried, and said; a year later is refused
    _, note = daily_rates("tbill", pd.bdate_range("2018-11-01", "2018-12-31"))
    assert note == "the T-bill rate of 2018-11 carried to 2018-12 (the embedded series ends there)"
    later = pd.bdate_range("2018-11-01", periods=30 * (CARRY_MONTHS + 2))
    with pytest.raises(ParameterError, match=r"risk_free = 'tbill' \(the one-month T-bill shipped with arch\) ends"):
        daily_rates("tbill", later)


@pytest.mark.parametrize("universe", [False, True])
def test_many_strategies_in_one_call_are_each_strategy_alone(universe):
    # each strategy keeps its own cash in the shared call: nothing leaks from one group to another,
    # whether a strategy borrows, sits in cash, or starts later (a span of its own)
    from strategies.backtest import backtests

    a, b = _drifting_prices(seed=1), _drifting_prices(seed=2)
    close = pd.concat({"A": a, "B": b}, axis=1) if universe else a
    rng = np.random.default_rng(0)
    days = close.index[1:]

    def weights(level, start=0):
        w = pd.Series(level * rng.uniform(0.2, 1.0, len(days)), index=days).round(1).iloc[start:]
        return pd.concat({"A": w, "B": 1.5 - w}, axis=1) if universe else w

    strategies = {"levered": weights(2.0), "cash": weights(0.5), "late": weights(1.0, start=40)}
    batch = backtests(close, strategies, fees_bps=3.0, slippage_bps=1.0, target_vols={"cash": 0.1}, risk_free=0.02)
    assert list(batch) == list(strategies)
    for label, w in strategies.items():
        alone = backtest(
            close,
            w,
            fees_bps=3.0,
            slippage_bps=1.0,
            target_vol=0.1 if label == "cash" else None,
            name=label,
            risk_free=0.02,
        )
        together = batch[label]
        # (check_freq: pandas keeps or drops an index's cached business-day freq by the path taken; same dates)
        pd.testing.assert_series_equal(together.returns, alone.returns, check_freq=False)
        pd.testing.assert_frame_equal(together.stats, alone.stats)
        for field in ("weights", "turnover", "costs", "benchmark", "targets", "risk_free"):
            got, expected = getattr(together, field), getattr(alone, field)
            if isinstance(expected, pd.DataFrame):
                pd.testing.assert_frame_equal(got, expected, check_freq=False)
            else:
                pd.testing.assert_series_equal(got, expected, check_freq=False)
    assert batch["late"].returns.index[0] > batch["cash"].returns.index[0]  # its own span
    assert batch["cash"].target_vol == 0.1 and batch["levered"].target_vol is None


@pytest.mark.parametrize("universe", [False, True])
def test_strategies_split_over_several_vectorbt_calls_are_the_same_bits(universe, monkeypatch):
    """A span's strategies go to vectorbt MAX_COLUMNS columns a call (its order records grow with
    columns x rows): groups never share cash, so one strategy a call gives one call's numbers.
    """
    import strategies.backtest as bt

    a, b = _drifting_prices(seed=3), _drifting_prices(seed=4)
    close = pd.concat({"A": a, "B": b}, axis=1) if universe else a
    rng = np.random.default_rng(5)
    days = close.index[1:]

    def weights(level):
        w = pd.Series(level * rng.uniform(0.2, 1.0, len(days)), index=days).round(1)
        return pd.concat({"A": w, "B": 1.5 - w}, axis=1) if universe else w

    strategies = {f"s{i}": weights(0.5 + i / 2) for i in range(4)}
    one_call = bt.backtests(close, strategies, fees_bps=3.0, slippage_bps=1.0, risk_free=0.02)
    calls = []
    run = bt.run_orders
    monkeypatch.setattr(bt, "run_orders", lambda *args, **kw: calls.append(1) or run(*args, **kw))
    monkeypatch.setattr(bt, "MAX_COLUMNS", 1)  # one strategy a call, however narrow
    split = bt.backtests(close, strategies, fees_bps=3.0, slippage_bps=1.0, risk_free=0.02)
    assert len(calls) == 4
    for label, res in one_call.items():
        pd.testing.assert_series_equal(split[label].returns, res.returns, check_exact=True)
        pd.testing.assert_frame_equal(split[label].stats, res.stats, check_exact=True)
        pd.testing.assert_series_equal(split[label].turnover, res.turnover, check_exact=True)


@pytest.mark.parametrize("group", [False, True, "array"])
def test_values_are_vectorbts_own_bit_for_bit(group):
    """values_of runs vectorbt's kernels without its pandas wrapping: the same bits as
    Portfolio.value() and Portfolio.asset_value(group_by=False), with and without cash-sharing
    groups, a NaN price on a day nothing is held, fees and slippage.
    """
    from strategies.backtest import run_orders, values_of

    rng = np.random.default_rng(7)
    days = pd.bdate_range("2020-01-01", periods=60)
    px = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.02, (60, 4)), axis=0)), index=days, columns=list("abcd"))
    px.iloc[0, 3] = np.nan  # not yet listed on day 1: no order that day
    sizes = pd.DataFrame(rng.uniform(-0.3, 0.6, (60, 4)), index=days, columns=px.columns)
    sizes.iloc[:, 3] = sizes.iloc[:, 3].where(np.arange(60) > 0)
    sizes[sizes.abs() < 0.05] = np.nan
    by = np.array([0, 0, 1, 1]) if group == "array" else group
    pf, value, held, orders = run_orders(px, sizes, 0.001, 0.0005, group=by)
    want_value = pf.value().to_numpy()
    want_value = want_value[:, None] if want_value.ndim == 1 else want_value
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_array_equal(held, pf.asset_value(group_by=False).to_numpy())
    assert len(orders) > 20
    again = values_of(pf)
    np.testing.assert_array_equal(again[0], value)
