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

# no ``from __future__ import annotations``: a NamedTuple's fields are read by tools (pdoc) from
# its generated ``__new__``, whose string annotations could not be resolved
from typing import NamedTuple

import numpy as np

__all__ = ["Coefficients", "egarch_filter", "egarch_forecast", "gjr_filter", "gjr_forecast"]


class Coefficients(NamedTuple):
    """The variance equation's coefficients, in the units ``arch`` estimated them in.

    Attributes
    ----------
    omega : float
    alpha : ndarray, shape (p,), the shock terms
    gamma : ndarray, shape (o,), the asymmetric terms
    beta : ndarray, shape (q,), the variance (log variance for EGARCH) terms
    """

    omega: float
    alpha: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray

    @property
    def lag(self) -> int:
        """The longest lag of any term (at least 1)."""
        return max(self.alpha.shape[0], self.gamma.shape[0], self.beta.shape[0], 1)


def _known(x: np.ndarray, origins: np.ndarray, lag: int, before: float) -> tuple[np.ndarray, np.ndarray]:
    """Per origin ``s``, ``x`` at ``s - lag + 1 .. s`` (columns in time order), ``before`` where
    that precedes the sample; and the mask of the values that do not. Shape ``(len(origins), lag)``.
    """
    pos = origins[:, None] - (lag - 1 - np.arange(lag))[None, :]
    ok = pos >= 0
    return np.where(ok, x[np.maximum(pos, 0)], before), ok


_SQRT2_OV_PI = np.sqrt(2.0 / np.pi)
#: arch caps log variance here so that explosive paths stay finite.
_LNSIGMA_MAX = float(np.log(np.finfo(np.double).max) - 0.1)


def gjr_filter(eps: np.ndarray, coef: Coefficients, backcast: float) -> np.ndarray:
    """Conditional variances, shape ``(n + 1,)``: element ``t`` uses ``eps[:t]``;
    the last one is the forecast for the step after the data.
    """
    omega, alpha, gamma, beta = coef
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


def egarch_filter(eps: np.ndarray, coef: Coefficients, log_backcast: float) -> np.ndarray:
    """EGARCH conditional variances, shape ``(n + 1,)``, as :func:`gjr_filter`."""
    omega, alpha, gamma, beta = coef
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
    eps: np.ndarray, s2: np.ndarray, origins: np.ndarray, horizon: int, coef: Coefficients, backcast: float
) -> np.ndarray:
    r"""Analytic multi-step variance forecasts, shape ``(len(origins), horizon)``.

    Row ``i`` holds :math:`E_s[\sigma^2_{s+k}]`, :math:`k = 1..h`, from origin
    :math:`s` = ``origins[i]``, using :math:`E_s[\varepsilon^2_{s+m}] = \sigma^2_{s+m|s}`
    and :math:`E_s[\varepsilon^2_{s+m} 1(\varepsilon_{s+m}<0)] = \tfrac12\sigma^2_{s+m|s}`
    for :math:`m \ge 1` (a symmetric shock), as ``arch``'s analytic forecasts do.
    ``s2`` is the output of :func:`gjr_filter` on ``eps``.
    """
    omega, alpha, gamma, beta = coef
    p, o, q, lag = alpha.shape[0], gamma.shape[0], beta.shape[0], coef.lag
    e2 = eps**2
    neg = e2 * (eps < 0)
    m = len(origins)
    # Columns 0..lag-1: known values at s-lag+1..s; then forecasts for s+1..s+h.
    pe2 = np.empty((m, lag + horizon))
    pneg = np.empty((m, lag + horizon))
    ps2 = np.empty((m, lag + horizon))
    pe2[:, :lag] = _known(e2, origins, lag, backcast)[0]
    pneg[:, :lag] = _known(neg, origins, lag, 0.5 * backcast)[0]
    ps2[:, :lag] = _known(s2, origins, lag, backcast)[0]
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
    coef: Coefficients,
    log_backcast: float,
    shocks: np.ndarray,
) -> np.ndarray:
    r"""EGARCH multi-step variance forecasts by simulation, shape ``(len(origins), horizon)``.

    ``shocks`` (shape ``(n_sims, horizon)``, standardised draws of the fitted
    distribution) are shared by every origin, so each origin's forecast depends
    on its own past only and repeats exactly. Step 1 is exact; step ``k`` is the
    mean over the simulated paths of :math:`\sigma^2_{s+k}`.
    """
    omega, alpha, gamma, beta = coef
    p, o, q, lag = alpha.shape[0], gamma.shape[0], beta.shape[0], coef.lag
    m, n_sims = len(origins), shocks.shape[0]
    ln_hist = np.log(s2)
    e_hist = np.empty(eps.shape[0])
    e_hist[:] = eps / np.sqrt(s2[:-1])
    # paths: (m, n_sims, lag + horizon) of ln sigma^2 and standardised shocks
    pln = np.empty((m, n_sims, lag + horizon))
    pe = np.zeros((m, n_sims, lag + horizon))
    ln_known, known = _known(ln_hist, origins, lag, log_backcast)
    pln[:, :, :lag] = ln_known[:, None, :]
    pe[:, :, :lag] = _known(e_hist, origins, lag, 0.0)[0][:, None, :]
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
