"""Realized-variance estimators and features.

Reference values: (1) closed forms on a hand-made 3-day bar series whose log
prices are round numbers, worked out by hand in the comments; (2) a simulated
geometric Brownian motion with known sigma, with tolerances derived below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.frameinfo import FrameInfo, frame_info
from signals import realized
from signals.features import (
    ESTIMATORS,
    OHLC_ESTIMATORS,
    feature_frame,
    har_terms,
    join_vix,
    lagged,
    log_returns,
    realized_variance,
    volume_ratio,
)

LN2 = math.log(2.0)


# --------------------------------------------------------------------------- hand-made bars

# Log prices relative to 100 (open, high, low, close):
#   day 1: 0.000, 0.020, -0.010, 0.010
#   day 2: 0.012, 0.030,  0.000, 0.020   overnight o2 = 0.012 - 0.010 = 0.002
#   day 3: 0.020, 0.025, -0.010, -0.005  overnight o3 = 0.020 - 0.020 = 0.000
LOGS = np.array(
    [
        [0.000, 0.020, -0.010, 0.010],
        [0.012, 0.030, 0.000, 0.020],
        [0.020, 0.025, -0.010, -0.005],
    ]
)


@pytest.fixture
def bars3() -> pd.DataFrame:
    idx = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"], name="date")
    frame = pd.DataFrame(100 * np.exp(LOGS), index=idx, columns=["open", "high", "low", "close"])
    frame["volume"] = [10.0, 30.0, 20.0]
    frame.attrs = {"symbols": ["HAND"]}
    return frame


def test_close_to_close_by_hand(bars3):
    # r2 = 0.020 - 0.010 = 0.010; r3 = -0.005 - 0.020 = -0.025
    got = realized_variance(bars3, "close_to_close")
    np.testing.assert_allclose(got.to_numpy(), [np.nan, 0.010**2, 0.025**2], rtol=1e-9)


def test_parkinson_by_hand(bars3):
    # ln(H/L) = 0.030, 0.030, 0.035
    got = realized_variance(bars3, "parkinson")
    np.testing.assert_allclose(got.to_numpy(), np.array([0.03, 0.03, 0.035]) ** 2 / (4 * LN2), rtol=1e-9)


def test_garman_klass_by_hand(bars3):
    # ln(H/L) = 0.030, 0.030, 0.035 ; ln(C/O) = 0.010, 0.008, -0.025
    want = 0.5 * np.array([0.03, 0.03, 0.035]) ** 2 - (2 * LN2 - 1) * np.array([0.010, 0.008, -0.025]) ** 2
    np.testing.assert_allclose(realized_variance(bars3, "garman_klass").to_numpy(), want, rtol=1e-9)


def test_rogers_satchell_by_hand(bars3):
    # u(u-c) + d(d-c):
    #   day 1: u=.020 d=-.010 c=.010  -> .020*.010 + .010*.020  = 4.0e-4
    #   day 2: u=.018 d=-.012 c=.008  -> .018*.010 + .012*.020  = 4.2e-4
    #   day 3: u=.005 d=-.030 c=-.025 -> .005*.030 + .030*.005  = 3.0e-4
    got = realized_variance(bars3, "rogers_satchell")
    np.testing.assert_allclose(got.to_numpy(), [4.0e-4, 4.2e-4, 3.0e-4], rtol=1e-9)


def test_yang_zhang_daily_by_hand(bars3):
    # overnight^2 + RS: day 2: .002^2 + 4.2e-4 ; day 3: 0 + 3.0e-4 ; day 1 has no previous close
    got = realized_variance(bars3, "yang_zhang")
    np.testing.assert_allclose(got.to_numpy(), [np.nan, 0.002**2 + 4.2e-4, 3.0e-4], rtol=1e-9)


def test_yang_zhang_rolling_by_hand(bars3):
    # window n=2 ending on day 3: o = (.002, 0) -> sample var (.001^2 * 2)/1 = 2e-6
    # c = (.008, -.025) -> mean -.0085, deviations +-.0165 -> var 2 * .0165^2 = 5.445e-4
    # mean RS = (4.2e-4 + 3.0e-4)/2 = 3.6e-4 ; k = .34 / (1.34 + 3/1)
    k = 0.34 / 4.34
    want = 2e-6 + k * 5.445e-4 + (1 - k) * 3.6e-4
    got = realized_variance(bars3, "yang_zhang", window=2)
    assert np.isnan(got.iloc[:2]).all()
    assert got.iloc[2] == pytest.approx(want, rel=1e-9)
    assert got.name == "yang_zhang_2d"


def test_rolling_window_is_mean_of_daily(bars3):
    daily = realized_variance(bars3, "garman_klass")
    got = realized_variance(bars3, "garman_klass", window=2)
    np.testing.assert_allclose(
        got.to_numpy()[1:], [(daily.iloc[0] + daily.iloc[1]) / 2, (daily.iloc[1] + daily.iloc[2]) / 2]
    )
    assert np.isnan(got.iloc[0])


def test_overnight_adds_squared_gap(bars3):
    plain = realized_variance(bars3, "parkinson")
    adj = realized_variance(bars3, "parkinson", overnight=True)
    np.testing.assert_allclose((adj - plain).to_numpy()[1:], [0.002**2, 0.0], atol=1e-15)


def test_log_returns_and_volume_ratio_and_har(bars3):
    np.testing.assert_allclose(log_returns(bars3).to_numpy()[1:], [0.010, -0.025], rtol=1e-9)
    # volume (10, 30, 20), window 2: means (-, 20, 25) -> ratios (-, 1.5, 0.8)
    np.testing.assert_allclose(volume_ratio(bars3["volume"], window=2).to_numpy(), [np.nan, 1.5, 0.8])
    rv = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], index=pd.date_range("2020-01-01", periods=6), name="rv")
    har = har_terms(rv, lags=(1, 2, 3))
    np.testing.assert_allclose(har["har_1"], rv)
    np.testing.assert_allclose(har["har_2"].to_numpy()[1:], [1.5, 2.5, 3.5, 4.5, 5.5])
    np.testing.assert_allclose(har["har_3"].to_numpy()[2:], [2.0, 3.0, 4.0, 5.0])
    assert har["har_3"].iloc[:2].isna().all()


def test_lagged_shifts_by_rows():
    x = pd.Series([1.0, 2.0, 3.0], index=pd.date_range("2020-01-01", periods=3), name="rv")
    out = lagged(x, [1, 2])
    assert list(out.columns) == ["rv_lag1", "rv_lag2"]
    np.testing.assert_allclose(out["rv_lag1"].to_numpy()[1:], [1.0, 2.0])
    np.testing.assert_allclose(out["rv_lag2"].to_numpy()[2:], [1.0])


def test_feature_frame_columns_and_causality(bars3):
    longer = pd.concat([bars3] * 10)
    longer.index = pd.bdate_range("2020-01-01", periods=len(longer), name="date")
    longer.attrs = {"symbols": ["HAND"]}
    frame = feature_frame(longer, har_lags=(1, 5), volume_window=3)
    assert list(frame.columns) == ["close", "return", "abs_return", "rv", "har_1", "har_5", "volume_ratio"]
    np.testing.assert_array_equal(frame["abs_return"], frame["return"].abs())
    # Row t depends only on bars up to t: truncating the future leaves it unchanged.
    cut = feature_frame(longer.iloc[:20], har_lags=(1, 5), volume_window=3)
    pd.testing.assert_frame_equal(cut, frame.iloc[:20], check_freq=False)


def test_join_vix_by_date_without_filling(bars3):
    vix = pd.Series([15.0, 16.0], index=pd.DatetimeIndex(["2020-01-02", "2020-01-06"]))
    out = join_vix(bars3, vix)
    np.testing.assert_allclose(out["vix"].to_numpy(), [15.0, np.nan, 16.0])
    assert frame_info(out).vix_coverage == pytest.approx(2 / 3)


def test_universe_gives_one_column_per_symbol(bars3):
    other = bars3 * 2.0
    uni = pd.concat({"A": bars3, "B": other.iloc[1:]}, axis=1)
    got = realized_variance(uni, "garman_klass")
    assert list(got.columns) == ["A", "B"]
    # scaling prices leaves log ranges unchanged
    np.testing.assert_allclose(got["B"].to_numpy()[1:], got["A"].to_numpy()[1:])
    assert np.isnan(got["B"].iloc[0])


# --------------------------------------------------------------------------- errors


def test_close_only_refused_by_ohlc_estimators(bars3):
    close_only = bars3[["close"]]
    for est in sorted(OHLC_ESTIMATORS):
        with pytest.raises(
            DataError,
            match=rf"estimator='{est}' needs open, high, low, close; the data for HAND lacks open, high, "
            r"low.*close_to_close",
        ):
            realized_variance(close_only, est)
    assert realized_variance(close_only, "close_to_close").notna().sum() == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimator": "vol"}, r"estimator must be one of close_to_close, .*got 'vol'"),
        ({"window": 0}, r"window must be an integer >= 1; got 0"),
        ({"window": 2.5}, r"window must be an integer >= 1; got 2.5"),
        (
            {"window": 5},
            r"too few rows for estimator='garman_klass' with window=5: it needs at least 5 bars, but HAND has 3",
        ),
        ({"estimator": "close_to_close", "overnight": True}, r"overnight=True .* already covers the overnight move"),
    ],
)
def test_realized_variance_errors(bars3, kwargs, match):
    with pytest.raises(DataError, match=match):
        realized_variance(bars3, **kwargs)


def test_feature_errors(bars3):
    with pytest.raises(DataError, match=r"too few rows for HAR terms with lags=\(1, 5, 22\): it needs at least 22"):
        har_terms(realized_variance(bars3), (1, 5, 22))
    with pytest.raises(DataError, match=r"lags must name at least one horizon"):
        har_terms(realized_variance(bars3), ())
    with pytest.raises(DataError, match=r"too few rows for volume_ratio with window=20"):
        volume_ratio(bars3["volume"])
    uni = pd.concat({"A": bars3, "B": bars3}, axis=1)
    with pytest.raises(
        DataError, match=r"feature_frame takes one symbol's bars; got a universe of 2 symbols.*bars\['A'\]"
    ):
        feature_frame(uni)
    with pytest.raises(DataError, match=r"must be indexed by trading date"):
        realized_variance(bars3.reset_index(drop=True))
    with pytest.raises(DataError, match=r"a frame with a 'close' column"):
        join_vix(bars3, pd.DataFrame({"vix": [1.0]}, index=bars3.index[:1]))


# --------------------------------------------------------------------------- simulation

SIGMA = 0.012  # daily volatility of the simulation
N_DAYS = 5000
N_STEPS = 100  # intraday steps per day


def simulate_gbm(sigma: float, overnight_share: float, seed: int) -> pd.DataFrame:
    """Driftless-log GBM bars with continuously monitored highs and lows.

    A share of the daily variance arrives overnight (open against the previous
    close), the rest along an intraday Brownian path sampled at N_STEPS points.
    The high and low are exact for the continuous path, not the sampled one:
    between two sampled points a and b a Brownian bridge with step variance s^2
    has maximum (a + b + sqrt((b - a)^2 - 2 s^2 ln U)) / 2 with U uniform
    (the reflection principle), and likewise for the minimum. So the range
    estimators carry no discretisation bias, and each estimator's mean may be
    held to its sampling error alone. (Max and min of the same step are drawn
    independently; they only interact when the day's high and low fall in one
    step, which at 100 steps is negligible.)
    """
    rng = np.random.default_rng(seed)
    step_var = sigma**2 * (1 - overnight_share) / N_STEPS
    steps = rng.standard_normal((N_DAYS, N_STEPS)) * math.sqrt(step_var)
    pts = np.concatenate([np.zeros((N_DAYS, 1)), np.cumsum(steps, axis=1)], axis=1)
    a, b = pts[:, :-1], pts[:, 1:]
    spread_hi = np.sqrt((b - a) ** 2 - 2 * step_var * np.log(rng.uniform(size=a.shape)))
    spread_lo = np.sqrt((b - a) ** 2 - 2 * step_var * np.log(rng.uniform(size=a.shape)))
    day_high = ((a + b + spread_hi) / 2).max(axis=1)
    day_low = ((a + b - spread_lo) / 2).min(axis=1)
    gaps = rng.standard_normal(N_DAYS) * sigma * math.sqrt(overnight_share)
    log_open = np.cumsum(gaps + np.concatenate([[0.0], pts[:-1, -1]]))
    logs = np.column_stack([log_open, log_open + day_high, log_open + day_low, log_open + pts[:, -1]])
    idx = pd.bdate_range("2000-01-03", periods=N_DAYS, name="date")
    frame = pd.DataFrame(100 * np.exp(logs), index=idx, columns=["open", "high", "low", "close"])
    frame.attrs = {"symbols": ["GBM"]}
    return frame


@pytest.fixture(scope="module")
def gbm() -> pd.DataFrame:
    return simulate_gbm(SIGMA, overnight_share=0.0, seed=7)


@pytest.fixture(scope="module")
def gbm_overnight() -> pd.DataFrame:
    return simulate_gbm(SIGMA, overnight_share=0.25, seed=11)


def _check_mean(est: pd.Series, target: float) -> None:
    """The mean is within 4 standard errors of the target (a 1-in-15,000 miss for
    a correct estimator; the simulation adds no bias, see simulate_gbm). The
    standard error is the sample's own: daily estimates are independent here.
    """
    x = est.dropna().to_numpy()
    ratio = x.mean() / target
    se = x.std(ddof=1) / math.sqrt(x.size) / target
    assert abs(ratio - 1) <= 4 * se, f"{est.name}: mean/target {ratio:.4f}, allowed 1 +- {4 * se:.4f}"


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_estimator_recovers_daily_variance(gbm, estimator):
    _check_mean(realized_variance(gbm, estimator), SIGMA**2)


def test_rolling_yang_zhang_recovers_daily_variance(gbm_overnight):
    # Overlapping windows are correlated: keep every 22nd so the values are independent.
    rolling = realized_variance(gbm_overnight, "yang_zhang", window=22)
    _check_mean(rolling.iloc[22::22], SIGMA**2)


def test_overnight_share_is_missed_by_range_estimators_unless_added(gbm_overnight):
    # With a quarter of the variance overnight, range estimators measure the other
    # three quarters; overnight=True restores the whole day, as do cc and YZ.
    for est in ("parkinson", "garman_klass", "rogers_satchell"):
        _check_mean(realized_variance(gbm_overnight, est), 0.75 * SIGMA**2)
        _check_mean(realized_variance(gbm_overnight, est, overnight=True), SIGMA**2)
    _check_mean(realized_variance(gbm_overnight, "close_to_close"), SIGMA**2)
    _check_mean(realized_variance(gbm_overnight, "yang_zhang"), SIGMA**2)


def test_garman_klass_is_more_efficient_than_close_to_close(gbm):
    # Theory for a continuous driftless path: Var(GK) ~ 0.27 sigma^4, Var(cc) = 2 sigma^4,
    # a ratio of 0.135; discretisation moves it a little, far from 1.
    gk = realized_variance(gbm, "garman_klass").dropna()
    cc = realized_variance(gbm, "close_to_close").dropna()
    ratio = gk.var() / cc.var()
    assert ratio < 0.25, ratio
    # Var(r^2) = 2 sigma^4; the sample variance of r^2 has relative standard error
    # sqrt((60 - 4) / n) / 2 = 0.053 for n = 5000 (moments of z^2), so 4 SE = 0.21.
    assert cc.var() / SIGMA**4 == pytest.approx(2.0, rel=0.22)


def test_kernels_match_pandas_rolling():
    x = np.random.default_rng(0).standard_normal(50)
    x[10] = np.nan
    s = pd.Series(x)
    np.testing.assert_allclose(realized.rolling_mean(x, 5), s.rolling(5).mean().to_numpy(), equal_nan=True)
    np.testing.assert_allclose(realized.rolling_var(x, 5), s.rolling(5).var().to_numpy(), equal_nan=True)


def test_each_asset_frame_keeps_only_its_own_entries_of_universe_attributes():
    from signals.features import by_symbol

    idx = pd.date_range("2020-01-01", periods=3)
    cols = pd.MultiIndex.from_product([["A", "B", "C"], ["close"]])
    bars = pd.DataFrame(np.arange(9.0).reshape(3, 9 // 3), index=idx, columns=cols)
    bars.attrs = {
        "symbols": ["A", "B", "C"],
        "filled_rows": {"A": 1, "B": 2},
        "timezone": {"C": "America/New_York"},
        "notes": ["A: read as close-only", "B: a split on 2020-01-02", "dates are exchange days"],
        "source": "csv",
    }
    parts = by_symbol(bars)  # a universe described the old way, by attrs keys, is read the same
    assert frame_info(parts["A"]) == FrameInfo(
        source="csv", symbols=("A",), filled_rows={"A": 1}, notes=("A: read as close-only", "dates are exchange days")
    )
    assert frame_info(parts["B"]).filled_rows == {"B": 2}
    assert frame_info(parts["C"]).timezone == {"C": "America/New_York"}
    assert frame_info(bars).filled_rows == {"A": 1, "B": 2}, "the universe's frame keeps its own"
