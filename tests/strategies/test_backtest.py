"""Backtests against equity curves worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from strategies.backtest import backtest, order_sizes

DAYS = pd.bdate_range("2021-03-01", periods=5)
CLOSE = pd.Series([100.0, 110.0, 99.0, 99.0, 108.9], index=DAYS)
# weight held on each day (decided at the previous close); none on day 1
WEIGHTS = pd.Series([np.nan, 0.5, 1.0, 1.0, 0.0], index=DAYS, name="w")


def test_orders_go_out_the_close_before():
    sizes = order_sizes(WEIGHTS, DAYS, "on_change")
    # close of day 1 -> 0.5 for day 2 ; day 2 -> 1.0 ; day 3: unchanged, no order ; day 4 -> 0.0 ; day 5: nothing after
    np.testing.assert_array_equal(sizes.to_numpy(), [0.5, 1.0, np.nan, 0.0, np.nan])
    daily = order_sizes(WEIGHTS, DAYS, "daily")
    np.testing.assert_array_equal(daily.to_numpy(), [0.5, 1.0, 1.0, 0.0, np.nan])


def test_five_day_equity_curve_by_hand():
    res = backtest(CLOSE, WEIGHTS, fees_bps=10.0)
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
    res = backtest(more_prices, short, fees_bps=0.0)
    assert res.returns.index.equals(DAYS[1:3]) and res.benchmark.index.equals(DAYS[1:3])
    same = backtest(CLOSE.iloc[:3], short, fees_bps=0.0)
    pd.testing.assert_frame_equal(res.stats, same.stats)


def test_benchmark_and_stats(tmp_path):
    res = backtest(CLOSE, WEIGHTS, fees_bps=0.0)
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
    res = backtest(close, w, fees_bps=0.0)
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
