"""Compiled kernels of :mod:`strategies.risk` (numba, imported when first needed).

Kept apart, as vectorbt keeps its ``nb`` modules, so that importing the package never
compiles anything and never imports numba for a run without a portfolio.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["correlation_rows", "equal_risk_rows"]


@numba.njit(cache=True, nogil=True)
def equal_risk_rows(cov: np.ndarray, tol: float, max_iter: int) -> np.ndarray:  # pragma: no cover - compiled
    """Long-only equal-risk-contribution weights of each finite, symmetric (n, n) matrix of ``cov``
    (T, n, n), by cyclic coordinate descent on ``w' cov w / 2 - sum(log w) / n``: each
    step solves the quadratic of one weight exactly, keeping ``cov @ w`` up to date
    instead of recomputing it. Stops per row when no normalised weight moved more than
    ``tol / n`` in a sweep, or after ``max_iter`` sweeps. Rows sum to one.
    """
    T, n = cov.shape[0], cov.shape[1]
    out = np.empty((T, n))
    w = np.empty(n)
    before = np.empty(n)
    marginal = np.empty(n)
    for t in range(T):
        c = cov[t]
        total = 0.0
        for i in range(n):
            w[i] = 1.0 / np.sqrt(c[i, i])
            total += w[i]
        for i in range(n):
            w[i] /= total
        for i in range(n):
            acc = 0.0
            for j in range(n):
                acc += c[i, j] * w[j]
            marginal[i] = acc
        for _ in range(max_iter):
            before_sum = 0.0
            for i in range(n):
                before[i] = w[i]
                before_sum += w[i]
            for i in range(n):
                a = c[i, i]
                b = marginal[i] - a * w[i]
                new = (-b + np.sqrt(b * b + 4.0 * a / n)) / (2.0 * a)
                step = new - w[i]
                if step != 0.0:
                    for j in range(n):
                        marginal[j] += step * c[i, j]  # cov is symmetric: a row is contiguous
                    w[i] = new
            after_sum = 0.0
            for i in range(n):
                after_sum += w[i]
            moved = 0.0
            for i in range(n):
                gap = abs(w[i] / after_sum - before[i] / before_sum)
                if gap > moved:
                    moved = gap
            if moved < tol / n:
                break
        total = 0.0
        for i in range(n):
            total += w[i]
        for i in range(n):
            out[t, i] = w[i] / total
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def correlation_rows(s: np.ndarray) -> None:  # pragma: no cover - compiled
    """Second-moment matrices ``s`` (T, n, n) to correlations, in place, in one pass each:
    ``s[i, j] / sqrt(s[i, i]) / sqrt(s[j, j])`` computed as NumPy's ``(s * inv_i) * inv_j``
    with ``inv = 1 / sqrt(diag)`` (the same bits), clipped to [-1, 1]; the diagonal 1, or NaN
    where a variance is zero.
    """
    T, n = s.shape[0], s.shape[1]
    inv = np.empty(n)
    for t in range(T):
        m = s[t]
        for i in range(n):
            inv[i] = 1.0 / np.sqrt(m[i, i])
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                r = (m[i, j] * inv[i]) * inv[j]
                if r > 1.0:
                    r = 1.0
                elif r < -1.0:
                    r = -1.0
                m[i, j] = r
        for i in range(n):
            m[i, i] = 1.0 if np.sqrt(m[i, i]) > 0 else np.nan
