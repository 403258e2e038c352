r"""Comparing forecasts by their losses: the Diebold-Mariano test, Hansen, Lunde and
Nason's model confidence set and Hansen's superior predictive ability, with the
Newey-West long-run variance they rest on. Losses come in per date and model
(:mod:`core.evaluation.losses`); the bootstraps are :mod:`core.evaluation.bootstrap`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.evaluation.bootstrap import stationary_counts

__all__ = ["diebold_mariano", "mcs_pvalues", "model_confidence_set", "newey_west_variance", "spa_pvalues"]


def newey_west_variance(d: np.ndarray, lags: int | None = None) -> float:
    r"""Newey–West long-run variance of a series with Bartlett weights.

    .. math:: \hat\Omega = \hat\gamma_0 + 2\sum_{j=1}^{L}\left(1 - \frac{j}{L+1}\right)\hat\gamma_j

    with autocovariances normalised by :math:`T`, and by default
    :math:`L = \lfloor 4 (T/100)^{2/9} \rfloor`.
    """
    d = np.asarray(d, float)
    T = len(d)
    L = int(np.floor(4 * (T / 100) ** (2 / 9))) if lags is None else lags
    u = d - d.mean()
    omega = u @ u / T
    for j in range(1, L + 1):
        omega += 2 * (1 - j / (L + 1)) * (u[j:] @ u[:-j]) / T
    return float(omega)


def diebold_mariano(loss_model, loss_base, lags: int | None = None) -> dict[str, float]:
    r"""Diebold–Mariano test of equal predictive accuracy.

    With loss differential :math:`d_t = L^{model}_t - L^{base}_t`,
    :math:`DM = \bar d / \sqrt{\hat\Omega / T}` (Newey–West :math:`\hat\Omega`),
    asymptotically standard normal. Negative means the model's losses are lower.

    Returns ``dm_stat`` and the two-sided ``dm_pvalue``.
    """
    from scipy import stats as sps

    a, b = np.asarray(loss_model, float), np.asarray(loss_base, float)
    d = a - b
    ok = np.isfinite(d)
    d = d[ok]
    if len(d) < 10:
        return {"dm_stat": np.nan, "dm_pvalue": np.nan}
    if np.allclose(a[ok], b[ok], rtol=1e-12, atol=0.0):
        # the same forecasts up to rounding: a test on rounding noise is no test
        return {"dm_stat": np.nan, "dm_pvalue": np.nan}
    omega = newey_west_variance(d, lags)
    if omega <= 0:
        return {"dm_stat": np.nan, "dm_pvalue": np.nan}
    stat = d.mean() / np.sqrt(omega / len(d))
    return {"dm_stat": float(stat), "dm_pvalue": float(2 * sps.norm.sf(abs(stat)))}


def model_confidence_set(losses: pd.DataFrame, size: float = 0.10, reps: int = 1000, seed: int = 0) -> pd.Series:
    """Hansen, Lunde and Nason's model confidence set (``arch.bootstrap.MCS``).

    Parameters
    ----------
    losses : DataFrame, one column of per-date losses per model (rows with a NaN are dropped)
    size : float, default 0.10, the test size
    reps : int, bootstrap replications
    seed : int

    Returns
    -------
    Series of the MCS p-value per model; models with p-value >= ``size`` are in the set.
    Models whose losses are equal share one p-value.
    """
    clean = losses.dropna()
    # Models with the same losses (the same forecasts under two names) are one model to the
    # test (arch's MCS fails on a tie): each copy gets the p-value of the first.
    first: dict[str, str] = {}
    for m in clean.columns:
        twin = next((k for k in dict.fromkeys(first.values()) if clean[k].equals(clean[m])), None)
        first[m] = twin if twin is not None else m
    distinct = list(dict.fromkeys(first.values()))
    if len(distinct) < 2:
        return pd.Series(1.0, index=losses.columns, name="mcs_pvalue")
    pvalues = dict(zip(distinct, mcs_pvalues(clean[distinct].to_numpy(float), size, reps, seed), strict=True))
    return pd.Series({m: pvalues.get(first.get(m, m), np.nan) for m in losses.columns}, name="mcs_pvalue")


def mcs_pvalues(losses: np.ndarray, size: float = 0.10, reps: int = 1000, seed: int = 0) -> np.ndarray:
    """MCS p-value of each column of ``losses`` (t, k): arch's ``MCS(method="R")`` with its
    stationary bootstrap (block ``int(sqrt(t))``), every resample's mean losses as one
    matrix product of draw counts and losses instead of one Python step per resample
    (the same p-values: a test checks against arch). ``size`` does not change the p-values; it is arch's signature's.
    """
    del size  # the p-values do not depend on it: a model is in the set where its p-value >= size
    t, k = losses.shape
    # a resample's mean loss is how often it drew each day times that day's loss: one matrix product
    means = stationary_counts(t, int(np.sqrt(t)), reps, seed) @ losses / t
    mean = losses.mean(0)
    diffs = mean[:, None] - mean[None, :]
    boot = means[:, :, None] - means[:, None, :] - diffs
    scale = np.sqrt((boot**2).mean(0) + np.eye(k))  # the eye prevents division by 0, as arch's
    std_diffs, std_boot = diffs / scale, boot / scale
    included = np.ones(k, dtype=bool)
    eliminated: list[tuple[int, float]] = []
    while included.sum() > 1:
        keep = np.flatnonzero(included)
        d = std_diffs[np.ix_(keep, keep)]
        stat = d.max()
        simulated = std_boot[:, keep][:, :, keep].max(axis=(1, 2))
        pval = float((stat < simulated).mean())
        worst = keep[np.argwhere(d == stat)[0][0]]  # the row of the largest standardised gap: worse than its column
        eliminated.append((int(worst), pval))
        included[worst] = False
    eliminated += [(int(i), 1.0) for i in np.flatnonzero(included)]
    out = np.empty(k)
    running = 0.0
    for i, p in eliminated:
        running = max(running, p)  # a model's p-value is the largest of those eliminated before it
        out[i] = running
    return out


def _stationary_variance(d: np.ndarray, block: int) -> np.ndarray:
    r"""Long-run variance of each column of ``d`` (t, m) with the stationary bootstrap's
    kernel (Politis and Romano's :math:`\kappa`), as ``arch.bootstrap.SPA`` estimates it;
    its autocovariances by FFT instead of one pass per lag.
    """
    t = d.shape[0]
    dm = d - d.mean(axis=0)
    size = 1 << int(np.ceil(np.log2(2 * t)))
    spec = np.fft.rfft(dm, n=size, axis=0)
    ac = np.fft.irfft(spec * np.conj(spec), n=size, axis=0)[:t]  # sum_s dm[s] dm[s + i], i = 0 .. t - 1
    i = np.arange(1, t)
    p = 1.0 / block
    kappa = (1.0 - i / t) * (1 - p) ** i + (i / t) * (1 - p) ** (t - i)
    return (ac[0] + 2 * (kappa[:, None] * ac[1:]).sum(axis=0)) / t


def spa_pvalues(losses: np.ndarray, reps: int = 1000, seed: int = 0) -> np.ndarray:
    r"""Hansen's superior predictive ability p-value with each column of ``losses`` (t, k)
    as the benchmark against all the others: small means some other model has a lower
    expected loss, data snooping over the k - 1 rivals accounted for.

    The "consistent" p-value of ``arch.bootstrap.SPA(benchmark, rivals, reps=reps,
    seed=seed)`` (stationary bootstrap, block ``int(sqrt(t))``; a test checks the
    equality), for every benchmark from one set of resamples: each resample's mean
    losses are one product of draw counts and losses (:func:`stationary_counts`, the
    draws of the model confidence set). Like arch 8.0, the statistic is the largest
    mean loss difference, not a studentised one; the variances only decide which
    rivals are too poor to matter (Hansen's :math:`\sqrt{2 \log \log t}` rule).
    """
    t, k = losses.shape
    if k < 2 or t < 10:
        return np.full(k, np.nan)
    block = int(np.sqrt(t))
    boot = stationary_counts(t, block, reps, seed) @ losses / t  # (reps, k)
    mean = losses.mean(axis=0)
    out = np.empty(k)
    for b in range(k):
        rivals = np.delete(np.arange(k), b)
        d = losses[:, [b]] - losses[:, rivals]  # positive: the rival's loss is lower
        mean_d = mean[b] - mean[rivals]
        variance = _stationary_variance(d, block)
        valid = mean_d >= -np.sqrt(variance / t * 2 * np.log(np.log(t)))
        centre = np.where(valid, mean_d, 0.0)
        simulated = (boot[:, [b]] - boot[:, rivals]) - centre
        out[b] = float((simulated.max(axis=1) > mean_d.max()).mean())
    return out
