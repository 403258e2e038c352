r"""Variance recursions of the GARCH family: plain NumPy kernels.

They reproduce ``arch``'s recursions (``arch.univariate.recursions``) with the
pre-sample values fixed by the caller (the *backcast* computed when the model
was fitted), so that a forecast for date :math:`t` depends on data before
:math:`t` only, however the input series is cut. Residuals are in the units the
parameters were estimated in (``arch`` works in percent).

GJR-GARCH(p, o, q), which is GARCH when o = 0:

.. math::

    \sigma^2_t = \omega + \sum_{i=1}^{p} \alpha_i \varepsilon^2_{t-i}
        + \sum_{j=1}^{o} \gamma_j \varepsilon^2_{t-j} 1[\varepsilon_{t-j} < 0]
        + \sum_{k=1}^{q} \beta_k \sigma^2_{t-k}

EGARCH(p, o, q), with :math:`e_t = \varepsilon_t / \sigma_t`:

.. math::

    \ln\sigma^2_t = \omega + \sum_{i=1}^{p} \alpha_i \left(|e_{t-i}| - \sqrt{2/\pi}\right)
        + \sum_{j=1}^{o} \gamma_j e_{t-j} + \sum_{k=1}^{q} \beta_k \ln\sigma^2_{t-k}

Pre-sample terms follow ``arch``: :math:`\varepsilon^2` and :math:`\sigma^2` take
the backcast, the asymmetric GJR term half of it; in EGARCH the shock terms are
zero and :math:`\ln\sigma^2` takes the (log) backcast.
"""

from __future__ import annotations

import numpy as np

__all__ = ["egarch_filter", "egarch_forecast", "gjr_filter", "gjr_forecast"]

_SQRT2_OV_PI = np.sqrt(2.0 / np.pi)
#: arch caps log variance here so that explosive paths stay finite.
_LNSIGMA_MAX = float(np.log(np.finfo(np.double).max) - 0.1)


def gjr_filter(
    eps: np.ndarray, omega: float, alpha: np.ndarray, gamma: np.ndarray, beta: np.ndarray, backcast: float
) -> np.ndarray:
    """Conditional variances, shape ``(n + 1,)``: element ``t`` uses ``eps[:t]``;
    the last one is the forecast for the step after the data.
    """
    n, p, o, q = eps.shape[0], alpha.shape[0], gamma.shape[0], beta.shape[0]
    e2 = eps**2
    neg = e2 * (eps < 0)
    s2 = np.empty(n + 1)
    for t in range(n + 1):
        v = omega
        for i in range(p):
            v += alpha[i] * (e2[t - 1 - i] if t - 1 - i >= 0 else backcast)
        for j in range(o):
            v += gamma[j] * (neg[t - 1 - j] if t - 1 - j >= 0 else 0.5 * backcast)
        for k in range(q):
            v += beta[k] * (s2[t - 1 - k] if t - 1 - k >= 0 else backcast)
        s2[t] = v
    return s2


def egarch_filter(
    eps: np.ndarray, omega: float, alpha: np.ndarray, gamma: np.ndarray, beta: np.ndarray, log_backcast: float
) -> np.ndarray:
    """EGARCH conditional variances, shape ``(n + 1,)``, as :func:`gjr_filter`."""
    n, p, o, q = eps.shape[0], alpha.shape[0], gamma.shape[0], beta.shape[0]
    ln = np.empty(n + 1)
    e = np.empty(n)
    for t in range(n + 1):
        v = omega
        for i in range(p):
            if t - 1 - i >= 0:
                v += alpha[i] * (abs(e[t - 1 - i]) - _SQRT2_OV_PI)
        for j in range(o):
            if t - 1 - j >= 0:
                v += gamma[j] * e[t - 1 - j]
        for k in range(q):
            v += beta[k] * (ln[t - 1 - k] if t - 1 - k >= 0 else log_backcast)
        ln[t] = min(v, _LNSIGMA_MAX)
        v = ln[t]
        if t < n:
            e[t] = eps[t] / np.sqrt(np.exp(v))
    return np.exp(ln)


def gjr_forecast(
    eps: np.ndarray,
    s2: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    omega: float,
    alpha: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    backcast: float,
) -> np.ndarray:
    r"""Analytic multi-step variance forecasts, shape ``(len(origins), horizon)``.

    Row ``i`` holds :math:`E_s[\sigma^2_{s+k}]`, :math:`k = 1..h`, from origin
    :math:`s` = ``origins[i]``, using :math:`E_s[\varepsilon^2_{s+m}] = \sigma^2_{s+m|s}`
    and :math:`E_s[\varepsilon^2_{s+m} 1(\varepsilon_{s+m}<0)] = \tfrac12\sigma^2_{s+m|s}`
    for :math:`m \ge 1` (a symmetric shock), as ``arch``'s analytic forecasts do.
    ``s2`` is the output of :func:`gjr_filter` on ``eps``.
    """
    p, o, q = alpha.shape[0], gamma.shape[0], beta.shape[0]
    lag = max(p, o, q, 1)
    e2 = eps**2
    neg = e2 * (eps < 0)
    m = len(origins)
    # Columns 0..lag-1: known values at s-lag+1..s; then forecasts for s+1..s+h.
    pe2 = np.empty((m, lag + horizon))
    pneg = np.empty((m, lag + horizon))
    ps2 = np.empty((m, lag + horizon))
    for c in range(lag):
        pos = origins - (lag - 1 - c)
        ok = pos >= 0
        pe2[:, c] = np.where(ok, e2[np.maximum(pos, 0)], backcast)
        pneg[:, c] = np.where(ok, neg[np.maximum(pos, 0)], 0.5 * backcast)
        ps2[:, c] = np.where(ok, s2[np.maximum(pos, 0)], backcast)
    for k in range(horizon):
        c = lag + k
        v = np.full(m, omega)
        for i in range(p):
            v += alpha[i] * pe2[:, c - 1 - i]
        for j in range(o):
            v += gamma[j] * pneg[:, c - 1 - j]
        for b in range(q):
            v += beta[b] * ps2[:, c - 1 - b]
        ps2[:, c] = v
        pe2[:, c] = v
        pneg[:, c] = 0.5 * v
    return ps2[:, lag:]


def egarch_forecast(
    eps: np.ndarray,
    s2: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    omega: float,
    alpha: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    log_backcast: float,
    shocks: np.ndarray,
) -> np.ndarray:
    r"""EGARCH multi-step variance forecasts by simulation, shape ``(len(origins), horizon)``.

    ``shocks`` (shape ``(n_sims, horizon)``, standardised draws of the fitted
    distribution) are shared by every origin, so each origin's forecast depends
    on its own past only and repeats exactly. Step 1 is exact; step ``k`` is the
    mean over the simulated paths of :math:`\sigma^2_{s+k}`.
    """
    p, o, q = alpha.shape[0], gamma.shape[0], beta.shape[0]
    lag = max(p, o, q, 1)
    m, n_sims = len(origins), shocks.shape[0]
    ln_hist = np.log(s2)
    e_hist = np.empty(eps.shape[0])
    e_hist[:] = eps / np.sqrt(s2[:-1])
    # paths: (m, n_sims, lag + horizon) of ln sigma^2 and standardised shocks
    pln = np.empty((m, n_sims, lag + horizon))
    pe = np.zeros((m, n_sims, lag + horizon))
    known = np.zeros((m, lag), dtype=bool)
    for c in range(lag):
        pos = origins - (lag - 1 - c)
        ok = pos >= 0
        known[:, c] = ok
        pln[:, :, c] = np.where(ok, ln_hist[np.maximum(pos, 0)], log_backcast)[:, None]
        pe[:, :, c] = np.where(ok, e_hist[np.maximum(pos, 0)], 0.0)[:, None]
    for k in range(horizon):
        c = lag + k
        if k == 0:
            v = np.broadcast_to(ln_hist[origins + 1][:, None], (m, n_sims)).copy()
        else:
            v = np.full((m, n_sims), omega)
            for i in range(p):
                col = c - 1 - i
                term = alpha[i] * (np.abs(pe[:, :, col]) - _SQRT2_OV_PI)
                if col < lag:
                    term = np.where(known[:, col][:, None], term, 0.0)
                v += term
            for j in range(o):
                v += gamma[j] * pe[:, :, c - 1 - j]
            for b in range(q):
                v += beta[b] * pln[:, :, c - 1 - b]
        pln[:, :, c] = np.minimum(v, _LNSIGMA_MAX)
        pe[:, :, c] = shocks[None, :, k]
    with np.errstate(over="ignore"):  # an exploding path is an infinite forecast, honestly
        return np.exp(pln[:, :, lag:]).mean(axis=1)
