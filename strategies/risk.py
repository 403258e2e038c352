r"""Covariance forecasts and risk budgets of a universe: plain NumPy kernels.

A covariance forecast for day :math:`t` joins the variance forecasts of the
assets with a causal correlation estimate,

.. math:: \hat\Sigma_t = D_t R_t D_t, \qquad D_t = \operatorname{diag}(\hat\sigma_{1,t}, \dots, \hat\sigma_{n,t}),

where :math:`R_t` uses returns up to :math:`t - 1` only (the weights of day
:math:`t` are decided at the close of :math:`t - 1`):

* EWMA (RiskMetrics): :math:`S_t = \lambda S_{t-1} + (1 - \lambda) z_{t-1} z_{t-1}^\top`
  with :math:`\lambda = 2^{-1/h}` for a half-life of :math:`h` days, :math:`R_t` the
  correlation of :math:`S_t`;
* rolling: the sample correlation of the last ``window`` returns before :math:`t`.

The returns :math:`z` are de-meaned by nothing (daily means are noise next to
daily volatility, as RiskMetrics argues). arch has no multivariate model (no
DCC), so these two are what a kept library offers.

Equal risk contribution (Maillard, Roncalli and Teiletche, 2010) solves
:math:`w_i (\Sigma w)_i = w^\top \Sigma w / n` for every asset by cyclical
coordinate descent on :math:`\tfrac12 w^\top\Sigma w - \tfrac1n\sum_i \log w_i`
(Griveau-Billion, Richard and Roncalli, 2013), each coordinate in closed form:

.. math:: w_i \leftarrow \frac{-b_i + \sqrt{b_i^2 + 4\Sigma_{ii}/n}}{2\Sigma_{ii}},
          \qquad b_i = \sum_{j \ne i} \Sigma_{ij} w_j,

then normalised to sum to one. Two assets, or equal correlations, give the
inverse-volatility weights exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "covariance",
    "equal_risk_weights",
    "ewma_correlation",
    "inverse_vol_weights",
    "portfolio_vol",
    "risk_contributions",
    "rolling_correlation",
]


def _to_correlation(s: np.ndarray) -> np.ndarray:
    """Second-moment matrices (..., n, n) to correlation matrices; NaN where a variance is zero."""
    d = np.sqrt(np.einsum("...ii->...i", s))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = s / (d[..., :, None] * d[..., None, :])
    n = s.shape[-1]
    r[..., np.arange(n), np.arange(n)] = np.where(d > 0, 1.0, np.nan)
    return np.clip(r, -1.0, 1.0)


def ewma_correlation(returns: np.ndarray, halflife: float, min_periods: int) -> np.ndarray:
    """Causal EWMA correlation: row ``t`` from returns ``0 .. t-1``.

    Parameters
    ----------
    returns : ndarray, shape (T, n), daily returns without gaps
    halflife : float > 0, in days
    min_periods : int, rows needed before a correlation is given (NaN before)

    Returns
    -------
    ndarray, shape (T, n, n)
    """
    r = np.asarray(returns, dtype=float)
    T, n = r.shape
    lam = 0.5 ** (1.0 / halflife)
    out = np.full((T, n, n), np.nan)
    s = np.zeros((n, n))
    weight = 0.0
    for t in range(1, T):
        x = r[t - 1]
        s = lam * s + (1 - lam) * np.outer(x, x)
        weight = lam * weight + (1 - lam)
        if t >= min_periods:
            out[t] = s / weight
    ok = np.isfinite(out[:, 0, 0])
    out[ok] = _to_correlation(out[ok])
    return out


def rolling_correlation(returns: np.ndarray, window: int) -> np.ndarray:
    """Causal rolling correlation: row ``t`` from returns ``t-window .. t-1`` (NaN before ``window`` rows).

    Parameters
    ----------
    returns : ndarray, shape (T, n), daily returns without gaps
    window : int >= 2, in days

    Returns
    -------
    ndarray, shape (T, n, n)
    """
    r = np.asarray(returns, dtype=float)
    T, n = r.shape
    outer = np.einsum("ti,tj->tij", r, r)
    c2 = np.concatenate([np.zeros((1, n, n)), np.cumsum(outer, axis=0)])
    c1 = np.concatenate([np.zeros((1, n)), np.cumsum(r, axis=0)])
    out = np.full((T, n, n), np.nan)
    if window < T:
        t = np.arange(window, T)
        m2 = (c2[t] - c2[t - window]) / window
        m1 = (c1[t] - c1[t - window]) / window
        out[t] = _to_correlation(m2 - m1[:, :, None] * m1[:, None, :])
    return out


def covariance(vol: np.ndarray, corr: np.ndarray) -> np.ndarray:
    """:math:`D R D`: shape (T, n, n) from daily volatilities (T, n) and correlations (T, n, n)."""
    return vol[:, :, None] * corr * vol[:, None, :]


def inverse_vol_weights(vol: np.ndarray) -> np.ndarray:
    """Weights proportional to ``1 / vol`` that sum to one per row; NaN rows where any vol is missing."""
    inv = 1.0 / np.where(vol > 0, vol, np.nan)
    return inv / inv.sum(axis=1, keepdims=True)


def portfolio_vol(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    r""":math:`\sqrt{w^\top\Sigma w}` per row: shape (T,), in the units of ``cov``'s square root."""
    return np.sqrt(np.einsum("ti,tij,tj->t", weights, cov, weights))


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    r"""Each asset's share of the portfolio variance, :math:`w_i (\Sigma w)_i / w^\top\Sigma w`.

    Returns an array of shape (T, n) whose rows sum to one.
    """
    marginal = np.einsum("tij,tj->ti", cov, weights)
    total = np.einsum("ti,ti->t", weights, marginal)
    with np.errstate(divide="ignore", invalid="ignore"):
        return weights * marginal / total[:, None]


def equal_risk_weights(cov: np.ndarray, *, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """Long-only equal-risk-contribution weights summing to one, per row of ``cov``.

    Parameters
    ----------
    cov : ndarray, shape (T, n, n), positive definite where finite
    tol : float, stop when no weight moves more than this (relative to 1/n)
    max_iter : int, sweeps over the assets at most

    Returns
    -------
    ndarray, shape (T, n); NaN rows where ``cov`` has a NaN.
    """
    cov = np.asarray(cov, dtype=float)
    T, n = cov.shape[:2]
    out = np.full((T, n), np.nan)
    ok = np.isfinite(cov).all(axis=(1, 2))
    if not ok.any():
        return out
    c = cov[ok]
    diag = np.einsum("tii->ti", c)
    w = 1.0 / np.sqrt(diag)
    w /= w.sum(axis=1, keepdims=True)
    # the budget 1/n per asset is scale free: normalising at the end gives the same weights
    for _ in range(max_iter):
        before = w.copy()
        for i in range(n):
            b = np.einsum("tj,tj->t", c[:, i, :], w) - diag[:, i] * w[:, i]
            a = diag[:, i]
            w[:, i] = (-b + np.sqrt(b * b + 4.0 * a / n)) / (2.0 * a)
        scale = w.sum(axis=1, keepdims=True)
        if np.max(np.abs(w / scale - before / before.sum(axis=1, keepdims=True))) < tol / n:
            break
    out[ok] = w / w.sum(axis=1, keepdims=True)
    return out
