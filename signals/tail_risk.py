r"""Value-at-Risk and expected shortfall from variance forecasts, walk-forward.

A variance forecast :math:`\hat\sigma^2_t` of day :math:`t`'s return (made at the
close of :math:`t-1`) becomes a VaR and an ES at level :math:`\alpha` through
the distribution of the standardised returns :math:`z_s = r_s / \hat\sigma_s`:

.. math::

    \mathrm{VaR}_t = -\hat\sigma_t\, q_\alpha(z), \qquad
    \mathrm{ES}_t = -\hat\sigma_t\, \mathrm{E}[z \mid z \le q_\alpha(z)],

both positive numbers, fractions of the position's value (a 1 % VaR of 0.03:
on one day in a hundred the log return is expected below -3 %). Three methods:

``normal``
    :math:`z \sim N(0, 1)`: :math:`q_\alpha = \Phi^{-1}(\alpha)`,
    ES :math:`= \varphi(q_\alpha)/\alpha` (in magnitude).
``t``
    a Student t with scale, :math:`z = s\,T_\nu`, fitted by maximum likelihood on the
    standardised returns of earlier days; ES in closed form,
    :math:`s\,\frac{g_\nu(t_\alpha)}{\alpha}\frac{\nu + t_\alpha^2}{\nu - 1}`.
``fhs``
    filtered historical simulation: the empirical quantile of the earlier
    standardised returns and the mean of those at or below it.

Honest means causal: the VaR of day :math:`t` uses the standardised returns of
days strictly before :math:`t` (out-of-sample forecasts and their realised
returns), and no method speaks before ``min_history`` of them exist, so that
all three are scored on the same days. The t is refitted every ``refit_every``
rows (a year by default; each fit uses every earlier residual). The returns are
the close-to-close log returns the forecasts are traded on: a forecast of a
realised-variance proxy is put on their scale first
(:func:`strategies.calibration.calibrated`, by the caller).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from core.errors import ParameterError

__all__ = [
    "TailMethod",
    "empirical_tail",
    "expanding_tails",
    "normal_tail",
    "standardized",
    "t_fit",
    "t_tail",
    "tail_forecasts",
]

#: How standardised returns are distributed (see the module docstring).
TailMethod = Literal["normal", "t", "fhs"]


def normal_tail(alpha: float) -> tuple[float, float]:
    """(VaR, ES) of a standard normal at level ``alpha``, as positive numbers."""
    q = stats.norm.ppf(alpha)
    return float(-q), float(stats.norm.pdf(q) / alpha)


def t_tail(alpha: float, df: float, scale: float) -> tuple[float, float]:
    r"""(VaR, ES) of ``scale`` times a Student t with ``df`` degrees of freedom, positive.

    The ES is :math:`s\,g_\nu(t_\alpha)(\nu + t_\alpha^2) / (\alpha(\nu - 1))`
    (McNeil, Frey and Embrechts, *Quantitative Risk Management*, eq. 2.26), finite for
    :math:`\nu > 1`.
    """
    q = stats.t.ppf(alpha, df)
    es = stats.t.pdf(q, df) / alpha * (df + q * q) / (df - 1.0)
    return float(-scale * q), float(scale * es)


def _t_tails(levels: Sequence[float], df: float, scale: float) -> list[float]:
    """:func:`t_tail` of every level, interleaved (VaR, ES, VaR, ES, ...): one scipy call for
    all levels instead of one per level (the same elementwise formulas, the same bits; tested).
    """
    alpha = np.asarray(levels, dtype=float)
    q = stats.t.ppf(alpha, df)
    es = stats.t.pdf(q, df) / alpha * (df + q * q) / (df - 1.0)
    return [float(x) for pair in zip(-scale * q, scale * es, strict=True) for x in pair]


def _kurtosis(z: np.ndarray) -> float:
    """``scipy.stats.kurtosis(z)`` (Fisher's, biased) by scipy's own steps (central moments of
    ``z - mean``, the fourth as the square's square), without its array-API dispatch, which
    cost a quarter of a :func:`t_fit`; NaN for a constant sample, as scipy's.
    """
    mean = z.mean()
    sq = (z - mean) ** 2
    m2, m4 = sq.mean(), (sq**2).mean()
    if m2 <= (np.finfo(float).eps * mean) ** 2:
        return np.nan
    return float(m4 / m2**2.0 - 3)


def empirical_tail(z: np.ndarray, alpha: float) -> tuple[float, float]:
    """(VaR, ES) of a sample of standardised returns: minus its ``alpha`` quantile
    (linear interpolation) and minus the mean of the values at or below it.
    """
    q = float(np.quantile(z, alpha))
    return -q, float(-z[z <= q].mean())


def _sorted_tail(ordered: np.ndarray, alpha: float) -> tuple[float, float]:
    """:func:`empirical_tail` of an already sorted sample, in O(alpha n): numpy's
    linear quantile (its own interpolation formula, so the same bits) and the mean
    of the values at or below it (a sum over a count, as ``mean`` computes it).
    """
    n = len(ordered)
    pos = (n - 1) * alpha
    lo = int(pos)  # pos >= 0: the floor
    a, b, frac = float(ordered[lo]), float(ordered[min(lo + 1, n - 1)]), pos - lo
    q = b - (b - a) * (1 - frac) if frac >= 0.5 else a + (b - a) * frac
    count = int(ordered.searchsorted(q, side="right"))
    return -q, -float(ordered[:count].sum()) / count


def expanding_tails(z: np.ndarray, ns: np.ndarray, levels: Sequence[float], *, chunk: int = 256) -> np.ndarray:
    """:func:`empirical_tail` of every prefix ``z[:n]``, ``n`` in ``ns``, without a loop over days.

    Only the lowest ``K = floor((max n - 1) * max level) + 2`` order statistics of a
    prefix decide its quantile and its tail mean, so the K smallest are kept as the
    prefixes grow, each new value inserted in order by a compiled pass
    (:func:`signals.tail_risk_nb.smallest_of_prefixes`), ``chunk`` prefixes at a time. A
    prefix whose tail reaches the K-th value (ties at the quantile) is computed whole.

    Parameters
    ----------
    z : array, shape (N,), standardised returns in time order
    ns : array of int, shape (m,), ascending distinct prefix lengths, each in [1, N]
    levels : tail probabilities

    Returns
    -------
    array, shape (m, 2 * len(levels)): (VaR, ES) per level, as :func:`empirical_tail`.
    """
    from signals.tail_risk_nb import smallest_of_prefixes

    ns = np.asarray(ns, dtype=np.int64)
    out = np.empty((len(ns), 2 * len(levels)))
    if not len(ns) or not len(levels):
        return out
    z = np.ascontiguousarray(z, dtype=float)
    low = np.full(int((ns[-1] - 1) * max(levels)) + 2, np.inf)  # the k smallest so far, inf-padded
    done = 0
    for start in range(0, len(ns), chunk):
        block = ns[start : start + chunk]
        smallest = smallest_of_prefixes(z, block, low, done)
        out[start : start + len(block)] = _tails_of_smallest(smallest, block, levels, z)
        done = int(block[-1])
    return out


def _tails_of_smallest(smallest: np.ndarray, ns: np.ndarray, levels: Sequence[float], z: np.ndarray) -> np.ndarray:
    """(VaR, ES) per level from each prefix's sorted smallest values (see :func:`expanding_tails`)."""
    rows, k = np.arange(len(ns)), smallest.shape[1]
    out = np.empty((len(ns), 2 * len(levels)))
    for j, alpha in enumerate(levels):
        pos = (ns - 1) * alpha
        lo = pos.astype(np.int64)
        a, b, frac = smallest[rows, lo], smallest[rows, np.minimum(lo + 1, ns - 1)], pos - lo
        q = np.where(frac >= 0.5, b - (b - a) * (1 - frac), a + (b - a) * frac)  # numpy's linear quantile
        tail = smallest <= q[:, None]
        count = tail.sum(axis=1)
        out[:, 2 * j] = -q
        out[:, 2 * j + 1] = -np.where(tail, smallest, 0.0).sum(axis=1) / count
        for r in np.flatnonzero((count >= k) & (ns > k)):  # ties reach past the kept values: the whole prefix
            out[r, 2 * j : 2 * j + 2] = _sorted_tail(np.sort(z[: ns[r]]), alpha)
    return out


def standardized(returns: pd.Series, variance: pd.Series) -> pd.Series:
    r""":math:`r_t / \hat\sigma_t` on the days both are known and the forecast is positive."""
    r, f = returns.align(variance, join="inner")
    ok = r.notna() & f.notna() & (f > 0)
    return (r[ok] / np.sqrt(f[ok])).rename("z")


def t_fit(z: np.ndarray) -> tuple[float, float]:
    r"""Maximum-likelihood (degrees of freedom, scale) of a zero-centred Student t.

    The same estimate as ``scipy.stats.t.fit(z, floc=0)`` (tested) at a fraction
    of its cost: the log-likelihood in closed form, maximised over
    :math:`\theta = (\log(\nu - 2), \log s)` from the moment estimates by Newton's
    method with the analytic gradient and Hessian (a few steps, each halved until
    the likelihood does not fall), to a step below 1e-10. Where Newton cannot
    finish inside the bounds (a Hessian that is not negative definite, the
    optimum at a bound) L-BFGS-B takes over from the same start. :math:`\nu` is
    kept in [2.05, 500]: below 2 the variance is infinite, and above 500 the t is
    a normal.
    """
    z = np.asarray(z, dtype=float)
    z2 = z * z
    kurt = _kurtosis(z)
    nu0 = 4.0 + 6.0 / kurt if kurt > 0.1 else 30.0
    s0 = float(np.sqrt(np.mean(z2) * (nu0 - 2.0) / nu0))
    start = np.array([np.log(nu0 - 2.0), np.log(s0)])
    bounds = (np.log(0.05), np.log(498.0))
    theta = _t_newton(z2, start, bounds)
    if theta is None:
        from scipy.optimize import minimize

        def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad, _ = _t_loglik(z2, theta, hessian=False)
            return -ll, -grad

        theta = minimize(nll, start, jac=True, method="L-BFGS-B", bounds=[bounds, (None, None)]).x
    return 2.0 + float(np.exp(theta[0])), float(np.exp(theta[1]))


def _t_loglik(z2: np.ndarray, theta: np.ndarray, *, hessian: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Log-likelihood of a zero-centred t at :math:`\theta = (\log(\nu - 2), \log s)` for
    squared observations ``z2``, its gradient (2,) and, with ``hessian``, its Hessian (2, 2).

    With :math:`u_i = z_i^2 / (s^2 \nu)` and :math:`w_i = u_i / (1 + u_i)`:

    .. math::

        \ell = n\,[\log\Gamma(\tfrac{\nu+1}{2}) - \log\Gamma(\tfrac{\nu}{2})
               - \tfrac12 \log(\nu\pi) - \log s] - \tfrac{\nu+1}{2} \sum \log(1 + u_i),

        \partial_\nu \ell = \tfrac n2 [\psi(\tfrac{\nu+1}{2}) - \psi(\tfrac{\nu}{2}) - \tfrac1\nu]
               - \tfrac12 \sum \log(1 + u_i) + \tfrac{\nu+1}{2\nu} \sum w_i,
        \qquad \partial_{\log s} \ell = -n + (\nu + 1) \sum w_i,

    and :math:`\partial w_i / \partial \nu = -w_i(1 - w_i)/\nu`,
    :math:`\partial w_i / \partial \log s = -2 w_i (1 - w_i)`; :math:`d\nu / d\theta_0 = \nu - 2`.
    """
    from scipy.special import digamma, gammaln, polygamma

    n = len(z2)
    nu, s = 2.0 + np.exp(theta[0]), np.exp(theta[1])
    u = z2 / (s * s * nu)
    log1p = np.log1p(u)
    sum_log1p = log1p.sum()
    w = u / (1 + u)
    sum_w = w.sum()
    ll = n * (gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi) - np.log(s))
    ll -= (nu + 1) / 2 * sum_log1p
    g_nu = n * (0.5 * digamma((nu + 1) / 2) - 0.5 * digamma(nu / 2) - 0.5 / nu)
    g_nu += -0.5 * sum_log1p + (nu + 1) / (2 * nu) * sum_w
    g_s = -n + (nu + 1) * sum_w
    c = nu - 2.0
    grad = np.array([g_nu * c, g_s])
    if not hessian:
        return float(ll), grad, np.empty((2, 2))
    sum_ww = (w * (1 - w)).sum()
    h_nunu = n * (0.25 * polygamma(1, (nu + 1) / 2) - 0.25 * polygamma(1, nu / 2) + 0.5 / nu**2)
    h_nunu += sum_w / (2 * nu) - sum_w / (2 * nu**2) - (nu + 1) / (2 * nu**2) * sum_ww
    h_nus = sum_w - (nu + 1) / nu * sum_ww
    h_ss = -2 * (nu + 1) * sum_ww
    hess = np.array([[c * c * h_nunu + c * g_nu, c * h_nus], [c * h_nus, h_ss]])
    return float(ll), grad, hess


def _t_newton(z2: np.ndarray, theta: np.ndarray, bounds: tuple[float, float], max_iter: int = 50) -> np.ndarray | None:
    """Newton's method on :func:`_t_loglik` from ``theta``; None where it cannot finish with
    ``theta[0]`` inside ``bounds`` (the caller then uses L-BFGS-B).
    """
    ll, grad, hess = _t_loglik(z2, theta)
    for _ in range(max_iter):
        (h00, h01), (_, h11) = hess
        det = h00 * h11 - h01 * h01
        if not (np.isfinite(det) and h00 < 0 and det > 0):
            return None  # not a maximum's neighbourhood: no Newton direction
        step = -np.array([h11 * grad[0] - h01 * grad[1], h00 * grad[1] - h01 * grad[0]]) / det
        t = 1.0
        while True:  # halve the step until the likelihood does not fall
            trial = theta + t * step
            if not bounds[0] <= trial[0] <= bounds[1]:
                return None  # the optimum lies at or beyond a bound
            new_ll, new_grad, new_hess = _t_loglik(z2, trial)
            if new_ll >= ll - 1e-12 * abs(ll):
                break
            t /= 2
            if t < 1e-6:
                return None
        theta, ll, grad, hess = trial, new_ll, new_grad, new_hess
        if np.abs(t * step).max() < 1e-10:
            return theta
    return None


@functools.lru_cache(maxsize=32)
def _tail_columns(methods: tuple[str, ...], levels: tuple[float, ...]) -> pd.MultiIndex:
    """The columns of :func:`tail_forecasts`, built once per (methods, levels): an index is
    immutable, and building one cost as much as a model's empirical tails.
    """
    return pd.MultiIndex.from_product([list(methods), list(levels), ["var", "es"]])


def tail_forecasts(
    returns: pd.Series,
    variance: pd.Series,
    *,
    levels: Sequence[float] = (0.01, 0.05),
    methods: Sequence[TailMethod] = ("normal", "t", "fhs"),
    min_history: int = 250,
    refit_every: int = 252,
) -> pd.DataFrame:
    """VaR and ES forecasts for every day of ``variance``, each from earlier days only.

    Parameters
    ----------
    returns : Series
        Daily log returns of the asset traded (``log(close_t / close_{t-1})``), dated
        by the day they are earned.
    variance : Series
        Out-of-sample forecasts of the variance of those returns, dated by the day
        forecast (as the walk-forward labels them).
    levels : sequence of float, default (0.01, 0.05)
        Tail probabilities, each in (0, 0.5).
    methods : sequence of {"normal", "t", "fhs"}
    min_history : int, default 250
        Standardised returns of earlier days needed before any method speaks
        (NaN before, for every method: they are scored on the same days).
    refit_every : int, default 252
        Rows between refits of the Student t.

    Returns
    -------
    DataFrame on ``variance``'s index, columns ``(method, level, measure)`` with
    measure ``var`` or ``es``: positive fractions of the position's value.

    Raises
    ------
    ParameterError
        A level outside (0, 0.5), an unknown method, or a ``min_history`` or
        ``refit_every`` below 1 (``min_history`` also needs at least 20 rows for
        the t and the empirical tail to mean anything).
    """
    for a in levels:
        if not 0.0 < float(a) < 0.5:
            raise ParameterError(
                f"tail_forecasts: levels must lie in (0, 0.5), such as 0.01 or 0.05; got {a!r}. "
                "Hint: a level is the tail probability, not the confidence (0.01, not 0.99)."
            )
    unknown = [m for m in methods if m not in get_args(TailMethod)]
    if unknown or not methods:
        raise ParameterError(f"tail_forecasts: methods must be some of {get_args(TailMethod)}; got {list(methods)!r}.")
    if int(min_history) < 20 or int(refit_every) < 1:
        raise ParameterError(
            f"tail_forecasts: min_history must be >= 20 and refit_every >= 1; got {min_history!r} and "
            f"{refit_every!r}. Hint: 250 (a year of residuals) and 252."
        )
    z_all = standardized(returns, variance)
    dates = variance.index
    sigma = np.sqrt(variance.where(variance > 0).to_numpy(dtype=float))
    # the residuals known before each forecast day: those dated strictly earlier
    z_values = z_all.to_numpy()
    known = np.searchsorted(z_all.index.to_numpy(), dates.to_numpy(), side="left")
    # a shallow copy of the cached index: its names may be set on one frame without reaching the others
    columns = _tail_columns(tuple(methods), tuple(float(a) for a in levels)).copy()
    # each day's tails of the standardised returns, per (method, level): (VaR, ES) pairs; times sigma at the end
    unit = {m: np.full((len(dates), 2 * len(levels)), np.nan) for m in methods}
    valid = (known >= min_history) & np.isfinite(sigma)
    rows = np.flatnonzero(valid)
    if "normal" in methods:
        unit["normal"][rows] = [x for a in levels for x in normal_tail(a)]
    if "t" in methods and len(rows):
        # a refit where refit_every residuals have come in since the last one; each block of rows keeps its fit
        starts = [0]
        for j in range(1, len(rows)):
            if known[rows[j]] - known[rows[starts[-1]]] >= refit_every:
                starts.append(j)
        for b0, b1 in zip(starts, [*starts[1:], len(rows)], strict=True):
            fit = t_fit(z_values[: known[rows[b0]]])
            unit["t"][rows[b0:b1]] = _t_tails(levels, *fit)
    if "fhs" in methods and len(rows):
        ns, at = np.unique(known[rows], return_inverse=True)
        unit["fhs"][rows] = expanding_tails(z_values, ns, [float(a) for a in levels])[at]
    out = np.concatenate([unit[m] for m in methods], axis=1) * sigma[:, None]
    return pd.DataFrame(out, index=dates, columns=columns)
