"""Vol targeting, threshold and regime rules, timing checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from strategies.backtest import backtest
from strategies.spec import DEFAULT_SPEC
from strategies.threshold import regime_weights, threshold_weights
from strategies.timing import AlignmentError, check_alignment
from strategies.vol_target import apply_band, vol_target_weights

DAYS = pd.bdate_range("2020-01-01", periods=6)


def test_vol_target_weights_by_hand():
    # daily variance 1e-4 -> 1 % a day -> 15.87 % a year; a 10 % target holds 0.63
    var = pd.Series([1e-4, 4e-4, 1e-6, np.nan, 2.5e-5, 1e-4], index=DAYS)
    w = vol_target_weights(var, target_vol=0.10, max_leverage=2.0, smooth=1)
    ann = np.sqrt(252 * var)
    np.testing.assert_allclose(w.to_numpy(), np.minimum(0.10 / ann, 2.0).to_numpy())
    assert w.iloc[2] == 2.0 and np.isnan(w.iloc[3])  # capped; no forecast, no weight


def test_smooth_sizes_on_the_mean_of_the_last_forecasts():
    var = pd.Series([1e-4, 4e-4, 1e-6, np.nan, 2.5e-5, 1e-4], index=DAYS)
    w = vol_target_weights(var, target_vol=0.10, max_leverage=2.0, smooth=2)
    # by hand: day 1 alone, then pairs; the missing day has no weight and counts as absent in day 5's mean
    mean = np.array([1e-4, 2.5e-4, (4e-4 + 1e-6) / 2, np.nan, 2.5e-5, (2.5e-5 + 1e-4) / 2])
    np.testing.assert_allclose(w.to_numpy(), np.minimum(0.10 / np.sqrt(252 * mean), 2.0))
    # one set of defaults: the function's are the spec's, which tradecast run trades with
    pd.testing.assert_series_equal(
        vol_target_weights(var, smooth=10, target_vol=0.10, max_leverage=2.0), vol_target_weights(var)
    )
    assert (DEFAULT_SPEC.smooth, DEFAULT_SPEC.target_vol, DEFAULT_SPEC.max_leverage) == (10, 0.10, 2.0)


def test_smooth_is_causal_and_per_asset():
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2020-01-01", periods=60)
    var = pd.DataFrame(1e-4 * np.exp(rng.normal(0, 0.5, (60, 2))), index=days, columns=["A", "B"])
    w = vol_target_weights(var, max_leverage=50.0, smooth=10)
    later = var.copy()
    later.iloc[30:] *= 9.0  # forecasts for day 31 on change; weights held up to day 30 must not
    pd.testing.assert_frame_equal(vol_target_weights(later, max_leverage=50.0, smooth=10).iloc[:30], w.iloc[:30])
    # each asset averages its own forecasts
    alone = vol_target_weights(var["B"], max_leverage=50.0, smooth=10)
    np.testing.assert_allclose(w["B"].to_numpy(), alone.to_numpy())


def test_direction_and_long_only():
    var = pd.Series(1e-4, index=DAYS)
    sign = pd.Series([1, -1, 1, -1, 1, -1], index=DAYS)
    both = vol_target_weights(var, direction=sign, long_only=False)
    assert (np.sign(both) == sign).all()
    longs = vol_target_weights(var, direction=sign)
    assert (longs[sign < 0] == 0).all() and (longs[sign > 0] > 0).all()


def test_universe_budgets_and_gross_cap():
    var = pd.DataFrame({"A": [1e-4] * 3, "B": [4e-4] * 3}, index=DAYS[:3])
    per = vol_target_weights(var, target_vol=0.10, max_leverage=5.0)
    eq = vol_target_weights(var, target_vol=0.10, max_leverage=5.0, budget="equal_risk")
    np.testing.assert_allclose(eq.to_numpy(), per.to_numpy() / 2)
    capped = vol_target_weights(var, target_vol=0.50, max_leverage=1.0)
    np.testing.assert_allclose(capped.abs().sum(axis=1), 1.0)


def test_band_holds_until_the_target_leaves_it():
    got = apply_band(np.array([0.5, 0.55, 0.62, 0.58, np.nan, 0.3]), 0.1)
    # 0.55 and 0.58 stay within 0.1 of 0.5; 0.62 leaves it; after a gap the next weight is taken
    np.testing.assert_allclose(got, [0.5, 0.5, 0.62, 0.62, np.nan, 0.3])


def test_band_saves_trades():
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2015-01-01", periods=500)
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500))), index=days)
    var = pd.Series(1e-4 * np.exp(rng.normal(0, 0.2, 499)), index=days[1:])  # forecasts from day 2
    tight = backtest(close, vol_target_weights(var, smooth=1), fees_bps=2.0)
    banded = backtest(close, vol_target_weights(var, band=0.1, smooth=1), fees_bps=2.0)
    assert banded.turnover.sum() < 0.5 * tight.turnover.sum()
    assert banded.costs.sum() < tight.costs.sum()


def test_perfect_forecast_realises_the_target_volatility():
    # Constant 1.2 % daily volatility for ten years, forecast perfectly, rebalanced daily
    # without costs: the strategy return is w * R_t, so its volatility is w * sd(R) and
    # the only error is the sampling error of a standard deviation, 1/sqrt(2n) relative.
    n, sigma = 2520, 0.012
    rng = np.random.default_rng(8)
    days = pd.bdate_range("2005-01-03", periods=n + 1)
    close = pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(rng.normal(0, sigma, n))])), index=days)
    forecast = pd.Series(sigma**2, index=days[1:])
    res = backtest(
        close, vol_target_weights(forecast, target_vol=0.10), fees_bps=0.0, rebalance="daily", target_vol=0.10
    )
    realised = res.stats.iloc[0]["annual_vol"]
    assert abs(realised / 0.10 - 1) <= 4 / math.sqrt(2 * n), realised


def test_threshold_rules_by_hand():
    f = pd.Series([0.002, 0.0005, -0.002, 0.0, np.nan, -0.0005], index=DAYS)
    np.testing.assert_array_equal(threshold_weights(f, upper=0.001).to_numpy(), [1, 0, -1, 0, np.nan, 0])
    np.testing.assert_array_equal(threshold_weights(f, upper=0.001, short=False).to_numpy(), [1, 0, 0, 0, np.nan, 0])
    np.testing.assert_array_equal(
        threshold_weights(f, upper=0.001, between="hold").to_numpy(), [1, 1, -1, -1, np.nan, -1]
    )
    # z-score: forecast over the forecast volatility; 0.0005 / 0.0005 = 1 > 0.5
    var = pd.Series(0.0005**2, index=DAYS)
    np.testing.assert_array_equal(
        threshold_weights(f, upper=0.5, units="zscore", variance_forecast=var).to_numpy(), [1, 1, -1, 0, np.nan, -1]
    )


def test_regime_rule():
    vol = np.array([0.10, 0.25, 0.15, 0.30])
    var = pd.Series(vol**2 / 252, index=DAYS[:4])
    np.testing.assert_array_equal(regime_weights(var, max_vol=0.20).to_numpy(), [1, 0, 1, 0])
    q = regime_weights(var, quantile=0.5, lookback=2)
    # trailing medians: -, 0.175, 0.20, 0.225 -> invested when below
    np.testing.assert_array_equal(q.to_numpy(), [np.nan, 0, 1, 0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: vol_target_weights(pd.Series([1e-4]), target=0),
            r"target must be a positive annual volatility such as 0.10; got 0",
        ),
        (
            lambda: vol_target_weights(pd.Series([1e-4]), budget="risk_parity"),
            r"budget must be one of 'per_asset', 'equal_risk'; got 'risk_parity'",
        ),
        (
            lambda: vol_target_weights(pd.Series([1e-4]), smooth=0),
            r"smooth must be an integer >= 1; got 0\. Hint: the number of daily forecasts averaged",
        ),
        (lambda: vol_target_weights(pd.Series([1e-4]), smooth=2.5), r"smooth must be an integer >= 1; got 2\.5"),
        (
            lambda: threshold_weights(pd.Series([0.1]), upper=0.001, lower=0.01),
            r"lower must be at most upper=0.001; got 0.01",
        ),
        (lambda: threshold_weights(pd.Series([0.1]), units="zscore"), r"units='zscore' needs variance_forecast"),
        (lambda: regime_weights(pd.Series([1e-4])), r"give exactly one of max_vol .* or quantile"),
    ],
)
def test_bad_parameters(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_a_forecast_labelled_by_its_origin_is_caught():
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2010-01-01", periods=600)
    realized = pd.Series(rng.normal(0, 0.01, 600), index=days)
    check_alignment(realized, realized, name="perfect")  # aligned: passes
    check_alignment(realized.shift(1), realized, name="lagged")  # yesterday's value: honest
    with pytest.raises(
        AlignmentError, match=r"origin tracks the next day's realised value .* labelled by the date it was made"
    ):
        check_alignment(realized.shift(-1), realized, name="origin")  # made at t, labelled t: one bar late
