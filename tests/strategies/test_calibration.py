"""proxy_scale and calibrated vol-targeting: hand-checked values, causality, the level it fixes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from strategies.calibration import proxy_scale
from strategies.evaluate import strategy_table
from strategies.spec import StrategySpec


def test_proxy_scale_by_hand():
    days = pd.date_range("2020-01-01", periods=6)
    r = pd.Series([np.nan, 0.1, 0.2, np.nan, 0.1, 0.3], days)
    rv = pd.Series([0.01, 0.01, 0.01, 0.01, np.nan, 0.01], days)
    # day 3 sees day 2 only: 0.01 / 0.01; day 4 sees days 2-3: (0.01 + 0.04) / 0.02;
    # days 4 and 5 lack one of the two, so days 5 and 6 keep 2.5
    expected = pd.Series([np.nan, np.nan, 1.0, 2.5, 2.5, 2.5], days, name="proxy_scale")
    pd.testing.assert_series_equal(proxy_scale(r, rv, min_periods=1), expected)
    assert proxy_scale(r, rv, min_periods=2).iloc[:3].isna().all()


def _biased(n=1500, sigma=0.01, seed=4):
    # returns with constant variance sigma^2, and a proxy that sees half of it
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2005-01-03", periods=n)
    r = pd.Series(rng.normal(0, sigma, n), index=days)
    rv = pd.Series(0.5 * sigma**2 * rng.chisquare(1, n), index=days)
    return r, rv, sigma


def test_proxy_scale_recovers_the_level_with_past_data_only():
    r, rv, _ = _biased()
    k = proxy_scale(r, rv)
    # ratio of two means of chi-square(1) draws over 1000+ rows: relative sd about sqrt(4/1000) = 6 %
    assert (k.iloc[1000:] - 2).abs().max() < 4 * 2 * np.sqrt(4 / 1000)
    r2 = r.copy()
    r2.iloc[700:] *= 5
    pd.testing.assert_series_equal(k.iloc[:701], proxy_scale(r2, rv).iloc[:701])
    assert k.iloc[701] != proxy_scale(r2, rv).iloc[701]


def test_calibrated_vol_target_hits_the_target_and_leaves_return_forecasts_alone():
    r, rv, sigma = _biased(n=2500)
    close = 100 * np.exp(r.cumsum())
    fc = pd.DataFrame({"proxy_model": 0.5 * sigma**2, "returns_model": sigma**2}, index=r.index[500:])
    kinds = {"proxy_model": "target", "returns_model": "returns"}
    raw, _ = strategy_table(close, fc, StrategySpec(calibrate="none", smooth=1))
    cal, _ = strategy_table(close, fc, StrategySpec(smooth=1), proxy=rv, variance_of=kinds)
    vol = lambda t, m: t.loc[(m, "vol_target"), "realised_vol"]  # noqa: E731
    # uncalibrated, a forecast of half the variance runs at sqrt(2) x 10 %
    assert vol(raw, "proxy_model") == pytest.approx(0.10 * np.sqrt(2), rel=0.06)
    assert vol(cal, "proxy_model") == pytest.approx(0.10, rel=0.06)
    assert vol(cal, "returns_model") == vol(raw, "returns_model")


def test_calibration_needs_the_proxy():
    r, _rv, sigma = _biased(n=300)
    close = 100 * np.exp(r.cumsum())
    fc = pd.DataFrame({"m": sigma**2}, index=r.index[50:])
    with pytest.raises(
        ParameterError,
        match=r"calibrate='proxy' needs proxy.*Hint: proxy=frame\['rv'\], or StrategySpec\(calibrate='none'\)",
    ):
        strategy_table(close, fc)  # the default spec calibrates, as tradecast run does
    with pytest.raises(ParameterError, match=r"strategy.calibrate must be one of 'none', 'proxy'; got True"):
        StrategySpec(calibrate=True)
    with pytest.raises(ParameterError, match=r"strategy_table: spec must be a StrategySpec; got dict"):
        strategy_table(close, fc, {"calibrate": "none"})


def test_calibration_leaves_the_regime_rule_alone():
    r, rv, sigma = _biased(n=800)
    close = 100 * np.exp(r.cumsum())
    rng = np.random.default_rng(1)
    fc = pd.DataFrame({"m": 0.5 * sigma**2 * np.exp(rng.normal(0, 0.3, 700))}, index=r.index[100:])
    raw, _ = strategy_table(close, fc, StrategySpec(regime_lookback=100, calibrate="none"))
    cal, _ = strategy_table(close, fc, StrategySpec(regime_lookback=100), proxy=rv)
    pd.testing.assert_series_equal(raw.loc[("m", "regime")], cal.loc[("m", "regime")])
    assert raw.loc[("m", "vol_target"), "realised_vol"] != cal.loc[("m", "vol_target"), "realised_vol"]


def test_return_variance_scales_only_proxy_forecasts_under_proxy_calibration():
    import numpy as np
    import pandas as pd
    import pytest

    from strategies.calibration import calibrated, return_variance

    idx = pd.bdate_range("2015-01-01", periods=300)
    rng = np.random.default_rng(0)
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300))), idx)
    proxy = pd.Series(rng.uniform(2e-5, 8e-5, 300), idx)
    fc = proxy.shift(1).iloc[100:]
    pd.testing.assert_series_equal(
        return_variance(fc, close, proxy, calibrate="proxy", variance_of="target"), calibrated(fc, close, proxy)
    )
    assert return_variance(fc, close, proxy, calibrate="proxy", variance_of="returns") is fc
    assert return_variance(fc, close, None, calibrate="none") is fc
    with pytest.raises(ValueError, match="needs proxy"):
        return_variance(fc, close, None, calibrate="proxy")


def test_a_scale_computed_once_gives_what_each_call_computes():
    """Callers with several forecasts of one asset pass the asset's scale once (close_scale):
    the same bits as each call computing it, and the proxy scale of the close's log returns.
    """
    from signals.features import log_returns
    from strategies.calibration import calibrated, close_scale, proxy_scale, return_variance, shared_scale

    idx = pd.bdate_range("2015-01-01", periods=300)
    rng = np.random.default_rng(1)
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300))), idx)
    proxy = pd.Series(rng.uniform(2e-5, 8e-5, 300), idx)
    scale = close_scale(close, proxy)
    pd.testing.assert_series_equal(scale, proxy_scale(log_returns(close), proxy))
    for lag in (1, 3):
        fc = proxy.shift(lag).iloc[100:]
        pd.testing.assert_series_equal(calibrated(fc, close, proxy, scale=scale), calibrated(fc, close, proxy))
        pd.testing.assert_series_equal(
            return_variance(fc, close, proxy, calibrate="proxy", scale=scale), calibrated(fc, close, proxy)
        )
    # the shared scale is computed only where return_variance would use it
    pd.testing.assert_series_equal(shared_scale(close, proxy, calibrate="proxy", kinds=["returns", "target"]), scale)
    assert shared_scale(close, proxy, calibrate="none", kinds=["target"]) is None
    assert shared_scale(close, None, calibrate="proxy", kinds=["target"]) is None
    assert shared_scale(close, proxy, calibrate="proxy", kinds=["returns", "mixed"]) is None
