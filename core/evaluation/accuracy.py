r"""Accuracy of point forecasts: error metrics, the Mincer-Zarnowitz regression and the
Pesaran-Timmermann test of direction.

Point metrics for a forecast :math:`f` of realised values :math:`y`:

.. math::

    \mathrm{MAE} = \overline{|y - f|}, \quad
    \mathrm{RMSE} = \sqrt{\overline{(y - f)^2}}, \quad
    R^2 = 1 - \frac{\sum (y - f)^2}{\sum (y - \bar y)^2}, \quad
    \text{direction} = \overline{1[\operatorname{sign} f = \operatorname{sign} y]}
"""

from __future__ import annotations

import numpy as np

__all__ = ["mincer_zarnowitz", "pesaran_timmermann", "point_metrics"]


def point_metrics(y, f) -> dict[str, float]:
    """MAE, RMSE, R² and direction accuracy over the pairs where both are finite.

    Parameters
    ----------
    y, f : array-like of equal length

    Returns
    -------
    dict with ``n``, ``mae``, ``rmse``, ``r2``, ``direction`` (share of matching
    signs, pairs with a zero left out).
    """
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    ok = np.isfinite(y) & np.isfinite(f)
    y, f = y[ok], f[ok]
    err = y - f
    sst = float(((y - y.mean()) ** 2).sum()) if y.size else np.nan
    signed = (y != 0) & (f != 0)
    return {
        "n": int(y.size),
        "mae": float(np.abs(err).mean()) if y.size else np.nan,
        "rmse": float(np.sqrt((err**2).mean())) if y.size else np.nan,
        "r2": 1 - float((err**2).sum()) / sst if sst > 0 else np.nan,
        "direction": float((np.sign(y[signed]) == np.sign(f[signed])).mean()) if signed.any() else np.nan,
    }


def mincer_zarnowitz(y, f) -> dict[str, float]:
    r"""Mincer–Zarnowitz regression :math:`y_t = a + b f_t + e_t` by least squares.

    An unbiased forecast has :math:`a = 0, b = 1`; returns ``mz_intercept``,
    ``mz_slope`` and ``mz_r2``.
    """
    y, f = np.asarray(y, float), np.asarray(f, float)
    ok = np.isfinite(y) & np.isfinite(f)
    y, f = y[ok], f[ok]
    if len(y) < 3 or np.std(f) == 0:
        return {"mz_intercept": np.nan, "mz_slope": np.nan, "mz_r2": np.nan}
    X = np.column_stack([np.ones_like(f), f])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    return {"mz_intercept": float(beta[0]), "mz_slope": float(beta[1]), "mz_r2": float(1 - resid.var() / y.var())}


def pesaran_timmermann(y, f) -> dict[str, float]:
    r"""Pesaran and Timmermann's (1992) test of directional accuracy.

    With :math:`\hat P` the share of pairs whose signs agree, :math:`p_y` and
    :math:`p_f` the shares of positive realised values and forecasts, and
    :math:`P_* = p_y p_f + (1 - p_y)(1 - p_f)` the share agreeing by chance,

    .. math::

        PT = \frac{\hat P - P_*}{\sqrt{\hat V(\hat P) - \hat V(P_*)}}, \quad
        \hat V(\hat P) = \frac{P_*(1 - P_*)}{n}, \quad
        \hat V(P_*) = \frac{(2p_y - 1)^2 p_f(1 - p_f) + (2p_f - 1)^2 p_y(1 - p_y)}{n}
                      + \frac{4 p_y p_f (1 - p_y)(1 - p_f)}{n^2}

    is asymptotically standard normal under independence of the signs.

    Parameters
    ----------
    y, f : array-like; pairs with a NaN or a zero on either side are left out

    Returns
    -------
    dict with ``direction`` (:math:`\hat P`), ``pt_stat`` and the one-sided
    ``pt_pvalue`` (small when the forecast calls signs better than chance);
    NaN when a side has only one sign.
    """
    from scipy import stats as sps

    y, f = np.asarray(y, float), np.asarray(f, float)
    ok = np.isfinite(y) & np.isfinite(f) & (y != 0) & (f != 0)
    y, f = y[ok] > 0, f[ok] > 0
    n = len(y)
    nan = {"direction": np.nan, "pt_stat": np.nan, "pt_pvalue": np.nan}
    if n < 2:
        return nan
    p_hat, py, pf = float(np.mean(y == f)), float(y.mean()), float(f.mean())
    p_star = py * pf + (1 - py) * (1 - pf)
    v_hat = p_star * (1 - p_star) / n
    v_star = ((2 * py - 1) ** 2 * pf * (1 - pf) + (2 * pf - 1) ** 2 * py * (1 - py)) / n + 4 * py * pf * (1 - py) * (
        1 - pf
    ) / n**2
    if v_hat - v_star <= 0:
        return {**nan, "direction": p_hat}
    stat = (p_hat - p_star) / np.sqrt(v_hat - v_star)
    return {"direction": p_hat, "pt_stat": float(stat), "pt_pvalue": float(sps.norm.sf(stat))}
