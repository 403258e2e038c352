"""The GARCH-family kernels at orders above (1, 1): hand-checkable values and the
filter/forecast agreement (the one-step forecast from origin s is the filtered s + 1).
"""

from __future__ import annotations

import numpy as np
import pytest

from signals.recursions import Coefficients, _known, egarch_filter, egarch_forecast, gjr_filter, gjr_forecast


def test_known_lags_put_the_backcast_before_the_sample():
    values, ok = _known(np.array([10.0, 11.0, 12.0]), np.array([-1, 0, 2]), 2, before=-5.0)
    np.testing.assert_array_equal(values, [[-5.0, -5.0], [-5.0, 10.0], [11.0, 12.0]])
    np.testing.assert_array_equal(ok, [[False, False], [False, True], [True, True]])


def test_gjr_2_1_2_by_hand_and_its_one_step_forecasts_are_the_filter():
    coef = Coefficients(0.1, np.array([0.05, 0.02]), np.array([0.04]), np.array([0.5, 0.3]))
    assert coef.lag == 2
    eps = np.array([1.0, -2.0, 0.5, -1.0])
    s2 = gjr_filter(eps, coef, backcast=1.5)
    # t = 0: every lag before the sample: 0.1 + 0.07 * 1.5 + 0.04 * 0.75 + 0.8 * 1.5
    assert s2[0] == pytest.approx(0.1 + 0.07 * 1.5 + 0.04 * 0.75 + 0.8 * 1.5)
    # t = 2: eps[1] = -2 (asymmetric term on), eps[0] = 1, s2[1], s2[0]
    assert s2[2] == pytest.approx(0.1 + 0.05 * 4.0 + 0.02 * 1.0 + 0.04 * 4.0 + 0.5 * s2[1] + 0.3 * s2[0])
    origins = np.arange(-1, 4)
    paths = gjr_forecast(eps, s2, origins, 3, coef, backcast=1.5)
    np.testing.assert_allclose(paths[:, 0], s2[origins + 1], rtol=1e-12)
    # step 2 from the last origin: shocks replaced by their expectation (half of it for the asymmetric term)
    s, h1 = 3, s2[4]
    want = 0.1 + 0.05 * h1 + 0.02 * eps[s] ** 2 + 0.04 * 0.5 * h1 + 0.5 * h1 + 0.3 * s2[s]
    assert paths[-1, 1] == pytest.approx(want)


def test_egarch_one_step_forecasts_are_the_filter_at_any_order():
    coef = Coefficients(-0.05, np.array([0.1, 0.05]), np.array([-0.08]), np.array([0.6, 0.3, 0.05]))
    eps = np.random.default_rng(1).standard_normal(60)
    s2 = egarch_filter(eps, coef, log_backcast=0.2)
    origins = np.arange(-1, 60)
    shocks = np.random.default_rng(2).standard_normal((64, 4))
    paths = egarch_forecast(eps, s2, origins, 4, coef, 0.2, shocks)
    np.testing.assert_allclose(paths[:, 0], s2[origins + 1], rtol=1e-12)
    assert np.isfinite(paths).all() and (paths > 0).all()
