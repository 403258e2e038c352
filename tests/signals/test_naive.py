"""Naive baselines on hand-checkable series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from signals.base import ParameterError
from signals.naive import EwmaForecaster, RollingMeanForecaster, RollingVarianceForecaster, ZeroForecaster


@pytest.fixture
def tiny() -> pd.DataFrame:
    r = np.array([np.nan, 0.01, -0.02, 0.03, 0.00, -0.01])
    idx = pd.bdate_range("2021-01-04", periods=6, name="date")
    return pd.DataFrame(
        {"close": 100 * np.exp(np.nan_to_num(r).cumsum()), "return": r, "rv": np.nan_to_num(r) ** 2 + 1e-6}, index=idx
    )


def test_ewma_recursion_by_hand(tiny):
    m = EwmaForecaster(lam=0.5).fit(tiny)
    # init = mean r^2 over the 5 returns = (1 + 4 + 9 + 0 + 1)e-4 / 5 = 3e-4
    assert m.init_ == pytest.approx(3e-4)
    # origin 1: 0.5*3e-4 + 0.5*1e-4 = 2e-4 ; origin 2: 0.5*2e-4 + 0.5*4e-4 = 3e-4 ; origin 3: 0.5*3e-4 + 0.5*9e-4 = 6e-4
    got = m.predict(tiny, tiny.index[2:5])
    np.testing.assert_allclose(got.to_numpy(), [2e-4, 3e-4, 6e-4])
    # a forecast for the day after the data: origin 5 ; origin 4 = 0.5*6e-4 + 0 = 3e-4 ; origin 5 = 0.5*3e-4 + 0.5*1e-4
    # = 2e-4
    tomorrow = m.predict(tiny, pd.DatetimeIndex(["2021-01-12"]))
    assert tomorrow.iloc[0] == pytest.approx(2e-4)
    assert tomorrow.name == "ewma"


def test_rolling_and_unconditional_variance(tiny):
    roll = RollingVarianceForecaster(length=2).fit(tiny)
    # forecast for row 3 uses rows 1..2: (1e-4 + 4e-4) / 2
    assert roll.predict(tiny, tiny.index[3:4]).iloc[0] == pytest.approx(2.5e-4)
    assert np.isnan(roll.predict(tiny, tiny.index[1:2]).iloc[0])  # one return is not a window of 2
    unc = RollingVarianceForecaster(length=None).fit(tiny)
    assert unc.name == "unconditional"
    np.testing.assert_allclose(unc.predict(tiny, tiny.index[1:]).to_numpy(), 3e-4)


def test_return_baselines(tiny):
    assert (ZeroForecaster().fit(tiny).predict(tiny, tiny.index[1:]) == 0).all()
    rm = RollingMeanForecaster(length=3, horizon=2).fit(tiny)
    # origin 3: mean(0.01, -0.02, 0.03) = 0.00667, times h = 2
    assert rm.predict(tiny, tiny.index[4:5]).iloc[0] == pytest.approx(2 * 0.02 / 3)


def test_price_target_is_close_times_exp_return(tiny):
    rm = RollingMeanForecaster(length=2, target="price").fit(tiny)
    ret = RollingMeanForecaster(length=2).fit(tiny)
    day = tiny.index[4:5]
    want = tiny["close"].iloc[3] * np.exp(ret.predict(tiny, day).iloc[0])
    assert rm.predict(tiny, day).iloc[0] == pytest.approx(want)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: EwmaForecaster(lam=1.2), r"lam must be a number in \(0, 1\); got 1.2"),
        (lambda: EwmaForecaster(source="close"), r"source must be one of 'return', 'rv'; got 'close'"),
        (lambda: RollingVarianceForecaster(window=0), r"window must be an integer >= 1 or None; got 0"),
        (lambda: RollingMeanForecaster(window=None), r"window must be an integer >= 1; got None"),
        (
            lambda: ZeroForecaster(target="variance"),
            r"target='variance' is not supported; it forecasts 'return' or 'price'",
        ),
    ],
)
def test_bad_hyperparameters(tiny, make, match):
    with pytest.raises(ParameterError, match=match):
        make().fit(tiny)


def test_historical_mean_by_hand(tiny):
    from signals.naive import HistoricalMeanForecaster

    hm = HistoricalMeanForecaster(horizon=2).fit(tiny)
    # origin 3 (forecast for row 4): every return up to it, (0.01 - 0.02 + 0.03) / 3, times h = 2
    assert hm.predict(tiny, tiny.index[4:5]).iloc[0] == pytest.approx(2 * 0.02 / 3)
    absolute = HistoricalMeanForecaster(target="absolute_return", horizon=2).fit(tiny)
    # 2-day sums ending on rows 2 and 3: -0.01 and 0.01; mean of their absolute values = 0.01
    assert absolute.predict(tiny, tiny.index[4:5]).iloc[0] == pytest.approx(0.01)


def test_absolute_return_target_by_hand(tiny):
    from signals.base import realized_target

    # rows 2..3 sum to 0.01, rows 3..4 to 0.03: absolute two-day returns labelled by their first day
    y = realized_target(tiny, "absolute_return", 2)
    assert y.iloc[2] == pytest.approx(0.01) and y.iloc[3] == pytest.approx(0.03) and y.iloc[1] == pytest.approx(0.01)
    assert y.name == "absolute_return_h2" and np.isnan(y.iloc[-1])
