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

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "covariance",
    "equal_risk_weights",
    "ewma_correlation",
    "inverse_vol_weights",
    "portfolio_vol",
    "risk_contributions",
    "rolling_correlation",
    "second_moments",
    "to_correlation",
]


def to_correlation(s: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    """Second-moment matrices (..., n, n) to correlation matrices; NaN where a variance is zero.

    ``inplace`` converts ``s`` itself, a float array (a block of 500-asset matrices is 128 MB),
    and returns it; by default a new array.
    Compiled (:func:`strategies.risk_nb.correlation_rows`): one pass over each matrix instead of
    four NumPy passes, the same bits.
    """
    from strategies.risk_nb import correlation_rows

    n = np.shape(s)[-1]
    r = s if inplace else np.array(s, dtype=float, copy=True)
    if r.size:
        flat = r.reshape(-1, n, n)  # a view where r is contiguous; the kernel writes through it
        correlation_rows(flat)
        if not np.shares_memory(flat, r):
            r[...] = flat.reshape(r.shape)
    return r


def second_moments(
    returns: np.ndarray,
    positions: np.ndarray,
    *,
    halflife: float | None = None,
    window: int | None = None,
    min_periods: int = 1,
    chunk: int = 64,
) -> Iterator[tuple[int, np.ndarray]]:
    """Causal second-moment (EWMA) or covariance (rolling) matrices at ``positions``, in chunks.

    The matrix at position ``p`` uses returns ``0 .. p-1`` (EWMA with ``halflife``)
    or ``p-window .. p-1`` (rolling ``window``, demeaned); NaN where fewer rows
    exist (``min_periods`` for the EWMA, ``window`` for the rolling one) or where
    ``p`` lies past the returns. One pass over the rows keeps one ``(n, n)`` state,
    so memory is ``chunk`` matrices, not one per day: 500 assets over 2,800 days
    would otherwise hold 5.6 GB per array.

    Parameters
    ----------
    returns : ndarray (T, n), daily returns without gaps
    positions : ndarray of int, ascending, each in 0 .. T
    halflife, window : exactly one of them
    min_periods : int, EWMA rows needed before a matrix is given
    chunk : int, matrices per yielded block

    Yields
    ------
    (start, block): ``block`` (m, n, n) holds the matrices of ``positions[start : start + m]``.
    """
    r = np.asarray(returns, dtype=float)
    T, n = r.shape
    pos = np.asarray(positions, dtype=np.int64)
    if (halflife is None) == (window is None):
        raise ValueError("second_moments: give exactly one of halflife and window.")
    lam = 0.5 ** (1.0 / halflife) if halflife is not None else 0.0
    s = np.zeros((n, n))
    m1 = np.zeros(n)
    weight = 0.0
    done = 0  # rows folded into the state: the state is that of position ``done``
    since_exact = 0
    for start in range(0, len(pos), chunk):
        block = np.full((min(chunk, len(pos) - start), n, n), np.nan)
        for j, p in enumerate(pos[start : start + len(block)]):
            if p > T:
                continue
            while done < p:
                x = r[done]
                if window is None:
                    s *= lam
                    s += (1 - lam) * np.outer(x, x)
                    weight = lam * weight + (1 - lam)
                else:
                    s += np.outer(x, x)
                    m1 += x
                    if done >= window:
                        old = r[done - window]
                        s -= np.outer(old, old)
                        m1 -= old
                    since_exact += 1
                done += 1
            if window is None:
                if p >= min_periods and p >= 1:
                    block[j] = s / weight
            elif p >= window:
                if since_exact >= 252:  # adding and removing rows drifts: recompute the window exactly now and then
                    rows = r[p - window : p]
                    s, m1, since_exact = rows.T @ rows, rows.sum(axis=0), 0
                mean = m1 / window
                block[j] = s / window - np.outer(mean, mean)
        yield start, block


def _stream_correlation(returns: np.ndarray, **kwargs: Any) -> np.ndarray:
    r = np.asarray(returns, dtype=float)
    T, n = r.shape
    out = np.full((T, n, n), np.nan)
    for start, block in second_moments(r, np.arange(T), **kwargs):
        ok = np.isfinite(block[:, 0, 0])
        block[ok] = to_correlation(block[ok])
        out[start : start + len(block)] = block
    return out


def ewma_correlation(returns: np.ndarray, halflife: float, min_periods: int) -> np.ndarray:
    """Causal EWMA correlation: row ``t`` from returns ``0 .. t-1``.

    Parameters
    ----------
    returns : ndarray, shape (T, n), daily returns without gaps
    halflife : float > 0, in days
    min_periods : int, rows needed before a correlation is given (NaN before)

    Returns
    -------
    ndarray, shape (T, n, n): every day's matrix (for many assets, :func:`second_moments`
    gives them in chunks instead).
    """
    return _stream_correlation(returns, halflife=halflife, min_periods=min_periods)


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
    return _stream_correlation(returns, window=window)


def covariance(vol: np.ndarray, corr: np.ndarray) -> np.ndarray:
    """:math:`D R D`: shape (T, n, n) from daily volatilities (T, n) and correlations (T, n, n)."""
    cov = corr * vol[:, :, None]  # in place after the first product: a chunk at 500 assets is 128 MB an array
    cov *= vol[:, None, :]
    return cov


def inverse_vol_weights(vol: np.ndarray) -> np.ndarray:
    """Weights proportional to ``1 / vol`` that sum to one per row; NaN rows where any vol is missing."""
    inv = 1.0 / np.where(vol > 0, vol, np.nan)
    return inv / inv.sum(axis=1, keepdims=True)


def portfolio_vol(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    r""":math:`\sqrt{w^\top\Sigma w}` per row: shape (T,), in the units of ``cov``'s square root."""
    # Sigma w as a batched matrix product (BLAS), then w . (Sigma w): 2.7x a three-operand einsum at 500 assets
    return np.sqrt(np.einsum("ti,ti->t", weights, np.matmul(cov, weights[:, :, None])[:, :, 0]))


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
    cov : ndarray, shape (T, n, n), symmetric positive definite where finite (a covariance; the
        solver reads each row as the matching column)
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
    from strategies.risk_nb import equal_risk_rows

    # the budget 1/n per asset is scale free: normalising at the end gives the same weights; compiled,
    # as a sweep is a loop over the assets (a Python loop of NumPy calls cost 27 s at 500 assets)
    out[ok] = equal_risk_rows(np.ascontiguousarray(cov[ok]), float(tol), int(max_iter))
    return out
