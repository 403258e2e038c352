"""AR and MLP return baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from signals.autoreg import ArForecaster, MlpForecaster, lag_matrix
from signals.base import ParameterError


def test_lag_matrix_by_hand():
    x = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    got = lag_matrix(x, 2)
    want = np.array([[1, 10, np.nan, np.nan], [2, 20, 1, 10], [3, 30, 2, 20]])
    np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def ar1() -> pd.DataFrame:
    """r_t = 0.3 r_{t-1} + e_t, e ~ N(0, 0.01^2)."""
    rng = np.random.default_rng(4)
    n = 4000
    r = np.zeros(n)
    for t in range(1, n):
        r[t] = 0.3 * r[t - 1] + 0.01 * rng.standard_normal()
    idx = pd.bdate_range("2001-01-01", periods=n, name="date")
    return pd.DataFrame({"close": 100 * np.exp(r.cumsum()), "return": r}, index=idx)


def test_ar_equals_least_squares_and_recovers_phi(ar1):
    m = ArForecaster(n_lags=2).fit(ar1)
    r = ar1["return"].to_numpy()
    X = np.column_stack([np.ones(len(r) - 2), r[1:-1], r[:-2]])  # origin value and one lag
    beta, *_ = np.linalg.lstsq(X, r[2:], rcond=None)
    np.testing.assert_allclose(m.coef_.to_numpy(), beta, rtol=1e-10)
    # the standard error of phi-hat is sqrt((1 - phi^2)/n) = 0.015; 4 SE
    assert m.coef_["return_lag0"] == pytest.approx(0.3, abs=0.06)
    day = ar1.index[100:101]
    assert m.predict(ar1, day).iloc[0] == pytest.approx(beta @ [1.0, r[99], r[98]])


def test_mlp_is_reproducible_and_learns_ar1(ar1):
    train, test = ar1.iloc[:3000], ar1.index[3000:]
    a = MlpForecaster(hidden=(8,), n_lags=3, max_iter=200).fit(train)
    b = MlpForecaster(hidden=(8,), n_lags=3, max_iter=200).fit(train)
    pa, pb = a.predict(ar1, test), b.predict(ar1, test)
    pd.testing.assert_series_equal(pa, pb)
    y = ar1["return"].reindex(test)
    # explains some of the AR(1) predictability out of sample (R^2 of the true model ~ 0.08)
    assert 1 - ((y - pa) ** 2).sum() / (y**2).sum() > 0.03


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ArForecaster(lags=0), r"ArForecaster: lags must be an integer >= 1; got 0"),
        (lambda: ArForecaster(features="return"), r"features must be a non-empty tuple of column names; got 'return'"),
        (
            lambda: MlpForecaster(hidden=(8, -1)),
            r"hidden must be a non-empty tuple of integers >= 1; got \(8, -1\). Hint: \(32, 16\)",
        ),
        (lambda: ArForecaster(target="variance"), r"target='variance' is not supported"),
    ],
)
def test_bad_hyperparameters(ar1, make, match):
    with pytest.raises(ParameterError, match=match):
        make().fit(ar1)


def test_mlp_training_options_reach_scikit_learn(ar1):
    train = ar1.iloc[:1500]
    m = MlpForecaster(
        hidden=(4,), n_lags=3, max_iter=50, shuffle=True, validation_fraction=0.3, early_stopping=False
    ).fit(train)
    assert (m.model_.shuffle, m.model_.validation_fraction, m.model_.early_stopping) == (True, 0.3, False)
    default = MlpForecaster(hidden=(4,), n_lags=3, max_iter=50).fit(train)
    assert (default.model_.shuffle, default.model_.validation_fraction, default.model_.early_stopping) == (
        False,
        0.2,
        True,
    )
    assert MlpForecaster.__doc__.startswith("Multi-layer perceptron"), "the docstring is the class's, not None"
    with pytest.raises(
        ParameterError, match=r"MlpForecaster: validation_fraction must be in \(0, 1\), such as 0.2; got 1.5"
    ):
        MlpForecaster(validation_fraction=1.5).fit(train)


def test_absolute_return_is_learned_as_volatility(ar1):
    m = ArForecaster(n_lags=3, target="absolute_return").fit(ar1.iloc[:2000])
    p = m.predict(ar1, ar1.index[2000:2100])
    assert (p > 0).mean() > 0.9, "an absolute return forecast is a positive level, not a signed return"
