"""Diebold-Mariano, the model confidence set and SPA against statsmodels and arch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.evaluation.comparison import diebold_mariano, model_confidence_set


def test_diebold_mariano_equals_hac_regression_on_a_constant():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    e = rng.normal(size=900)
    d = np.convolve(e, [1.0, 0.6, 0.3], "same") + 0.08  # autocorrelated loss differential
    lags = 6
    ols = sm.OLS(d, np.ones_like(d)).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    dm = diebold_mariano(d, np.zeros_like(d), lags=lags)
    assert dm["dm_stat"] == pytest.approx(ols.tvalues[0], rel=1e-10)
    assert dm["dm_pvalue"] == pytest.approx(ols.pvalues[0], rel=1e-8)


def test_the_model_confidence_set_takes_two_names_for_one_model():
    # the same forecasts under two names (a config that repeats a model): one model to the test,
    # not an IndexError from inside arch
    rng = np.random.default_rng(0)
    losses = pd.DataFrame({"a": rng.chisquare(2, 500), "b": rng.chisquare(2, 500) + 0.5})
    losses["a_again"] = losses["a"]
    got = model_confidence_set(losses, reps=200)
    alone = model_confidence_set(losses[["a", "b"]], reps=200)
    assert got["a_again"] == got["a"] == alone["a"] and got["b"] == alone["b"]


@pytest.mark.parametrize("k, seed", [(2, 0), (5, 1), (9, 2)])
def test_the_model_confidence_set_is_archs(k, seed):
    # second implementation: arch's MCS (method R, stationary bootstrap), one Python step per resample
    from arch.bootstrap import MCS

    rng = np.random.default_rng(seed)
    # models a few percent apart, with serially correlated losses, as QLIKE series are
    base = rng.chisquare(2, 700)
    losses = pd.DataFrame({f"m{i}": base * (1 + 0.01 * i) + rng.normal(0, 0.5, 700) ** 2 for i in range(k)})
    mcs = MCS(losses, size=0.1, reps=300, method="R", seed=seed)
    mcs.compute()
    expected = mcs.pvalues["Pvalue"].reindex(losses.columns)
    got = model_confidence_set(losses, reps=300, seed=seed)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert ((got > 0) & (got < 1)).any()  # p-values strictly inside: the comparison is not of 0s and 1s only


def test_spa_pvalues_equal_archs_spa_for_every_benchmark():
    from arch.bootstrap import SPA

    from core.evaluation.comparison import spa_pvalues

    rng = np.random.default_rng(0)
    t, k = 600, 5
    losses = rng.chisquare(2, (t, k)) + np.array([0.0, 0.05, 0.1, -0.15, 0.3])
    losses[:, 1] = 0.7 * losses[:, 0] + 0.3 * losses[:, 1]  # correlated losses, as forecasters' are
    ours = spa_pvalues(losses, reps=400, seed=3)
    for b in range(k):
        spa = SPA(losses[:, b], np.delete(losses, b, axis=1), reps=400, seed=3)
        spa.compute()
        assert ours[b] == spa.pvalues["consistent"], b
    assert ours[3] > 0.5 and ours[4] < 0.01  # the best model is not beaten; the worst is
