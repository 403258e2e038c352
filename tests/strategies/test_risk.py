"""Covariance forecasts and risk budgets against closed forms and a second implementation."""

import numpy as np
import pytest
from scipy.optimize import minimize

from strategies.risk import (
    covariance,
    equal_risk_weights,
    ewma_correlation,
    inverse_vol_weights,
    portfolio_vol,
    risk_contributions,
    rolling_correlation,
    to_correlation,
)


def _random_cov(rng, n):
    a = rng.normal(size=(n, n + 3))
    c = a @ a.T / (n + 3)
    return c + 0.05 * np.eye(n)


def test_two_assets_equal_risk_is_inverse_vol_whatever_the_correlation():
    # closed form (Maillard et al. 2010): for n = 2, w_i = (1/sigma_i) / sum_j (1/sigma_j)
    vol = np.array([[0.01, 0.03], [0.02, 0.02], [0.05, 0.01]])
    corr = np.array([[[1, rho], [rho, 1]] for rho in (-0.6, 0.0, 0.9)])
    w = equal_risk_weights(covariance(vol, corr))
    np.testing.assert_allclose(w, inverse_vol_weights(vol), rtol=1e-9)
    np.testing.assert_allclose(w[0], [0.75, 0.25], rtol=1e-9)


def test_equal_correlations_give_inverse_vol_weights():
    vol = np.array([[0.01, 0.02, 0.04, 0.05]])
    rho = 0.3
    corr = np.full((1, 4, 4), rho)
    corr[0][np.diag_indices(4)] = 1.0
    np.testing.assert_allclose(equal_risk_weights(covariance(vol, corr)), inverse_vol_weights(vol), rtol=1e-9)


def test_equal_risk_matches_a_numerical_optimiser_and_equalises_contributions():
    rng = np.random.default_rng(3)
    covs = np.stack([_random_cov(rng, 6) for _ in range(5)])
    w = equal_risk_weights(covs)
    rc = risk_contributions(w, covs)
    np.testing.assert_allclose(rc, 1 / 6, atol=1e-8)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    for t in range(5):
        c = covs[t]

        def f(x, c=c):
            return 0.5 * x @ c @ x - np.log(x).sum() / 6

        x = minimize(f, np.full(6, 0.5), method="L-BFGS-B", bounds=[(1e-9, None)] * 6, options={"ftol": 1e-15}).x
        np.testing.assert_allclose(w[t], x / x.sum(), atol=1e-5)


def test_rows_with_a_missing_variance_get_no_weight():
    cov = np.stack([np.eye(2), np.full((2, 2), np.nan)])
    w = equal_risk_weights(cov)
    assert np.isfinite(w[0]).all() and np.isnan(w[1]).all()


def test_rolling_correlation_uses_only_earlier_rows_and_matches_numpy():
    rng = np.random.default_rng(0)
    r = rng.normal(size=(60, 3))
    c = rolling_correlation(r, 20)
    assert np.isnan(c[:20]).all()
    for t in (20, 35, 59):
        np.testing.assert_allclose(c[t], np.corrcoef(r[t - 20 : t].T), atol=1e-10)
    # the row for day t does not move when day t's return changes
    r2 = r.copy()
    r2[40] = 100.0
    np.testing.assert_array_equal(rolling_correlation(r2, 20)[40], c[40])


def test_ewma_correlation_matches_a_hand_loop_and_is_causal():
    rng = np.random.default_rng(1)
    r = rng.normal(size=(80, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]])
    c = ewma_correlation(r, halflife=10, min_periods=15)
    lam = 0.5**0.1
    w = (1 - lam) * lam ** np.arange(49, -1, -1)  # weights of rows 0..49 for day 50
    s = (w[:, None, None] * np.einsum("ti,tj->tij", r[:50], r[:50])).sum(axis=0)
    assert c[50][0, 1] == pytest.approx(s[0, 1] / np.sqrt(s[0, 0] * s[1, 1]), rel=1e-10)
    assert np.isnan(c[14]).all() and np.isfinite(c[15]).all()
    r2 = r.copy()
    r2[50] = -50.0
    np.testing.assert_array_equal(ewma_correlation(r2, 10, 15)[50], c[50])


def test_portfolio_vol_is_the_quadratic_form():
    vol = np.array([[0.01, 0.02]])
    corr = np.array([[[1.0, 0.5], [0.5, 1.0]]])
    w = np.array([[0.6, 0.4]])
    expected = np.sqrt(0.6**2 * 1e-4 + 0.4**2 * 4e-4 + 2 * 0.6 * 0.4 * 0.5 * 0.01 * 0.02)
    assert portfolio_vol(w, covariance(vol, corr))[0] == pytest.approx(expected)


def _equal_risk_by_sweeps_of_numpy(c: np.ndarray, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """The slow path: the same coordinate descent as NumPy sweeps over all rows at once."""
    n = c.shape[1]
    diag = np.einsum("tii->ti", c)
    w = 1.0 / np.sqrt(diag)
    w /= w.sum(axis=1, keepdims=True)
    for _ in range(max_iter):
        before = w / w.sum(axis=1, keepdims=True)
        for i in range(n):
            b = np.einsum("tj,tj->t", c[:, i, :], w) - diag[:, i] * w[:, i]
            w[:, i] = (-b + np.sqrt(b * b + 4.0 * diag[:, i] / n)) / (2.0 * diag[:, i])
        if np.max(np.abs(w / w.sum(axis=1, keepdims=True) - before)) < tol / n:
            break
    return w / w.sum(axis=1, keepdims=True)


def test_the_compiled_solver_equals_numpy_sweeps():
    rng = np.random.default_rng(11)
    covs = np.stack([_random_cov(rng, 40) for _ in range(6)])
    # each stops within tol / n of its fixed point (the compiled one row by row): to 1e-14 they agree to rounding
    fast, slow = equal_risk_weights(covs, tol=1e-14), _equal_risk_by_sweeps_of_numpy(covs, tol=1e-14)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-15)
    # at the default tolerance (a sweep that moves no weight more than 1e-10 / n ends it), within 1e-10
    np.testing.assert_allclose(equal_risk_weights(covs), slow, rtol=0, atol=1e-10)


def test_compiled_correlations_are_the_numpy_passes_bit_for_bit():
    """to_correlation's compiled pass against the NumPy formula it replaced: (s * inv_i) * inv_j,
    the diagonal 1 (NaN for a zero variance), clipped to [-1, 1]; in place or into a new array.
    """
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 40, 9))
    s = np.einsum("tki,tkj->tij", x, x) / 40
    s[1, 3, :] = s[1, :, 3] = 0.0  # a zero variance
    s[2] = np.nan  # no history yet
    s[4, 0, 5] = s[4, 5, 0] = 50.0  # a product beyond the clip
    d = np.sqrt(np.einsum("...ii->...i", s))
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        expected = s * inv[..., :, None] * inv[..., None, :]
    expected[..., np.arange(9), np.arange(9)] = np.where(d > 0, 1.0, np.nan)
    expected = np.clip(expected, -1.0, 1.0)
    got = to_correlation(s)
    np.testing.assert_array_equal(got, expected)
    assert got is not s and not np.shares_memory(got, s)
    same = s.copy()
    assert to_correlation(same, inplace=True) is same
    np.testing.assert_array_equal(same, expected)
    np.testing.assert_array_equal(to_correlation(s[0]), expected[0])  # one matrix
