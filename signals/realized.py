r"""Realized-variance kernels: plain NumPy functions on price arrays.

Every function takes 1-D float arrays of equal length ``n`` (one element per
daily bar, oldest first) and returns a float array of length ``n`` holding a
*daily variance in log-return units squared*. Element ``t`` uses bars up to and
including ``t`` only, so it is known at the close of day ``t``. Elements that
cannot be computed (the first bar for estimators that need the previous close,
the first ``window - 1`` bars of a rolling estimate) are NaN.

The pandas-facing API with validation is :mod:`signals.features`.

Notation, for bar ``t`` with open :math:`O_t`, high :math:`H_t`, low
:math:`L_t` and close :math:`C_t`:

.. math::

    u_t = \ln(H_t/O_t),\quad d_t = \ln(L_t/O_t),\quad c_t = \ln(C_t/O_t),\quad
    o_t = \ln(O_t/C_{t-1}).

The range estimators (Parkinson, Garman–Klass, Rogers–Satchell) measure the
open-to-close variance only; on markets that gap overnight they miss the
overnight part :math:`o_t^2` unless ``overnight=True`` adds it back.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "close_to_close",
    "day_measures",
    "garman_klass",
    "overnight_returns",
    "parkinson",
    "rogers_satchell",
    "rolling_mean",
    "rolling_sum",
    "rolling_var",
    "yang_zhang",
    "yang_zhang_k",
    "yang_zhang_rolling",
]

_LN2 = np.log(2.0)


def overnight_returns(open_: np.ndarray, close: np.ndarray) -> np.ndarray:
    r"""Overnight log return :math:`o_t = \ln(O_t / C_{t-1})`; NaN for the first bar."""
    out = np.full(open_.shape, np.nan)
    out[1:] = np.log(open_[1:] / close[:-1])
    return out


def close_to_close(close: np.ndarray) -> np.ndarray:
    r"""Squared close-to-close log return.

    .. math:: \hat\sigma^2_t = \ln(C_t / C_{t-1})^2

    Unbiased for the daily variance when the mean return is zero; its sampling
    variance is :math:`2\sigma^4` per day, the benchmark that the range
    estimators improve on.
    """
    out = np.full(close.shape, np.nan)
    out[1:] = np.log(close[1:] / close[:-1]) ** 2
    return out


def parkinson(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    r"""Parkinson (1980) range estimator.

    .. math:: \hat\sigma^2_t = \frac{\ln(H_t/L_t)^2}{4\ln 2}
    """
    return np.log(high / low) ** 2 / (4.0 * _LN2)


def garman_klass(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    r"""Garman–Klass (1980) estimator, in its practical form.

    .. math:: \hat\sigma^2_t = \tfrac12 \ln(H_t/L_t)^2 - (2\ln 2 - 1)\, c_t^2

    Its sampling variance is about :math:`0.27\sigma^4`, some 7 times more
    efficient than close-to-close for a driftless Brownian motion.
    """
    return 0.5 * np.log(high / low) ** 2 - (2.0 * _LN2 - 1.0) * np.log(close / open_) ** 2


def rogers_satchell(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    r"""Rogers–Satchell (1991) estimator, unbiased under any drift.

    .. math:: \hat\sigma^2_t = u_t (u_t - c_t) + d_t (d_t - c_t)
    """
    u = np.log(high / open_)
    d = np.log(low / open_)
    c = np.log(close / open_)
    return u * (u - c) + d * (d - c)


def yang_zhang(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    r"""Daily Yang–Zhang estimator: overnight plus Rogers–Satchell.

    .. math:: \hat\sigma^2_t = o_t^2 + \hat\sigma^2_{RS,t}

    This is the one-day limit of :func:`yang_zhang_rolling` (its weight
    :math:`k \to 0` as the window shrinks to one bar) under the zero-mean
    convention; it covers the whole close-to-close day, overnight included.
    """
    return overnight_returns(open_, close) ** 2 + rogers_satchell(open_, high, low, close)


def yang_zhang_k(window: int) -> float:
    r"""Yang and Zhang's (2000) weight :math:`k = 0.34 / (1.34 + (n+1)/(n-1))`."""
    return 0.34 / (1.34 + (window + 1) / (window - 1))


def yang_zhang_rolling(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    r"""Yang–Zhang (2000) estimator over a rolling window of ``window`` bars.

    .. math::

        \hat\sigma^2_{YZ} = \hat V_O + k \hat V_C + (1 - k) \overline{\hat\sigma^2_{RS}},
        \qquad k = \frac{0.34}{1.34 + \frac{n+1}{n-1}}

    with :math:`\hat V_O` and :math:`\hat V_C` the sample variances (``ddof=1``)
    of the overnight returns :math:`o_t` and open-to-close returns :math:`c_t`
    over the window. Needs ``window >= 2``; the first ``window`` elements are NaN
    (the first overnight return needs a previous close).
    """
    o = overnight_returns(open_, close)
    c = np.log(close / open_)
    k = yang_zhang_k(window)
    rs = rogers_satchell(open_, high, low, close)
    return rolling_var(o, window) + k * rolling_var(c, window) + (1.0 - k) * rolling_mean(rs, window)


def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` elements; NaN where the window is incomplete
    or holds a NaN (never silently skipped).
    """
    out = np.full(x.shape, np.nan)
    if window <= x.shape[0]:
        out[window - 1 :] = sliding_window_view(x, window).mean(axis=-1)
    return out


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing sum over ``window`` elements, each window summed on its own (so a
    value never depends on where the array starts); NaN where the window is
    incomplete or holds a NaN.
    """
    out = np.full(x.shape, np.nan)
    if window <= x.shape[0]:
        out[window - 1 :] = sliding_window_view(x, window).sum(axis=-1)
    return out


def rolling_var(x: np.ndarray, window: int, ddof: int = 1) -> np.ndarray:
    """Trailing sample variance over ``window`` elements (``ddof`` as in NumPy);
    NaN where the window is incomplete or holds a NaN.
    """
    out = np.full(x.shape, np.nan)
    if window <= x.shape[0]:
        out[window - 1 :] = sliding_window_view(x, window).var(axis=-1, ddof=ddof)
    return out


def day_measures(returns: np.ndarray, day: np.ndarray, n_days: int) -> dict[str, np.ndarray]:
    r"""Realized measures per day from intraday log returns.

    ``returns`` holds the intraday returns of all days, oldest first (no
    overnight return), ``day`` the day number ``0..n_days-1`` of each. With
    :math:`n` returns :math:`r_i` on a day:

    .. math::

        RV = \sum_i r_i^2,\qquad
        BV = \frac{\pi}{2}\,\frac{n}{n-1} \sum_{i \ge 2} |r_i|\,|r_{i-1}|,\qquad
        RS^{\pm} = \sum_i r_i^2\, 1\{r_i \gtrless 0\},\qquad
        RQ = \frac{n}{3} \sum_i r_i^4,

    realized variance, Barndorff-Nielsen and Shephard's bipower variation (robust
    to jumps), Barndorff-Nielsen, Kinnebrock and Shephard's semivariances and the
    realized quarticity. Returns arrays of length ``n_days`` (NaN for days with
    fewer than two returns, where BV is undefined): ``rv``, ``bv``, ``rs_pos``,
    ``rs_neg``, ``rq``, ``n``.
    """

    def per_day(weights: np.ndarray) -> np.ndarray:
        return np.bincount(day, weights=weights, minlength=n_days)

    n = np.bincount(day, minlength=n_days).astype(float)
    sq = returns**2
    same_day = np.r_[False, day[1:] == day[:-1]]
    adjacent = np.where(same_day, np.abs(returns) * np.abs(np.r_[0.0, returns[:-1]]), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "rv": per_day(sq),
            "bv": np.pi / 2 * n / (n - 1) * per_day(adjacent),
            "rs_pos": per_day(np.where(returns > 0, sq, 0.0)),
            "rs_neg": per_day(np.where(returns < 0, sq, 0.0)),
            "rq": n / 3 * per_day(sq**2),
        }
    few = n < 2
    for v in out.values():
        v[few] = np.nan
    out["n"] = n
    return out
