r"""Performance statistics of daily returns, and the deflated Sharpe ratio.

All statistics take simple daily returns and annualise with 252 days:

* annual return :math:`\prod(1 + r)^{252/n} - 1`; annual volatility :math:`s\sqrt{252}`;
* Sharpe :math:`\bar x / s_x \cdot \sqrt{252}` and Sortino
  :math:`\bar x / \sqrt{\overline{\min(x, 0)^2}} \cdot \sqrt{252}` of the excess returns
  :math:`x = r - r_f` over the risk-free rate earned each day (:mod:`strategies.financing`);
* maximum drawdown of the equity curve :math:`\prod(1 + r)` (a negative fraction)
  and Calmar, annual return over the absolute maximum drawdown.

The deflated Sharpe ratio (Bailey and López de Prado, 2014) is the probability
that the true Sharpe ratio exceeds the best one expected by luck among
:math:`N` trials:

.. math::

    SR_0 = \sqrt{V}\left((1-\gamma)\,\Phi^{-1}\!\left(1 - \tfrac1N\right)
           + \gamma\,\Phi^{-1}\!\left(1 - \tfrac{1}{N e}\right)\right), \qquad
    DSR = \Phi\!\left(\frac{(\widehat{SR} - SR_0)\sqrt{T - 1}}
           {\sqrt{1 - \hat\gamma_3 \widehat{SR} + \frac{\hat\gamma_4 - 1}{4}\widehat{SR}^2}}\right)

with per-period Sharpe ratios, :math:`V` their variance across trials,
:math:`\gamma` Euler's constant, :math:`\hat\gamma_3` the skewness and
:math:`\hat\gamma_4` the (non-excess) kurtosis of the returns.

The difference of two strategies' Sharpe ratios on the same days comes with a
circular-block-bootstrap standard error (:func:`sharpe_difference`), which keeps
the days' volatility clustering and the two series' correlation; for i.i.d.
normal returns it approaches Jobson and Korkie's (1981) closed form as corrected
by Memmel (2003), :math:`\operatorname{Var} = \tfrac1T\left(2 - 2\rho +
\tfrac12(SR_a^2 + SR_b^2 - 2 SR_a SR_b \rho^2)\right)` per period.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from core.calendar import TRADING_DAYS
from core.evaluation.bootstrap import block_starts

__all__ = [
    "SHARPE_BLOCK",
    "TRADING_DAYS",
    "blank_se_reason",
    "deflated_sharpe",
    "excess",
    "max_drawdown",
    "performance",
    "sharpe_difference",
    "sharpe_differences",
    "sharpe_ratio",
]
_EULER = 0.5772156649015329

#: Days in a block of the Sharpe-gap bootstrap (about a month of trading days); the
#: bootstrap needs two blocks, so a shorter window's standard error is left blank.
SHARPE_BLOCK = 22


def blank_se_reason(days: int, block: int = SHARPE_BLOCK) -> str:
    """Why a Sharpe gap scored on ``days`` days has no standard error, in words ("" when it has one).

    :func:`sharpe_difference` with ``short="nan"`` leaves it blank below ``2 * block`` days;
    tables that do so say this beside the window they were scored on.
    """
    if days >= 2 * block:
        return ""
    return (
        f"the standard errors are blank: {days} days are fewer than the {2 * block} that the block bootstrap needs "
        f"(two blocks of {block})"
    )


def max_drawdown(returns: pd.Series) -> float:
    """Largest fall of the equity curve from a previous peak (e.g. -0.35)."""
    equity = np.cumprod(1 + returns.fillna(0.0).to_numpy())
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float((equity / peak - 1).min()) if len(equity) else np.nan


def sharpe_ratio(returns: np.ndarray, axis: int = 0) -> np.ndarray:
    """Annualised Sharpe ratio (no risk-free rate, ddof 1) of daily returns along
    ``axis``, one per column of a 2-D array; NaN where the returns do not vary.
    """
    r = np.asarray(returns, dtype=float)
    sd = r.std(axis=axis, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, r.mean(axis=axis) / sd * np.sqrt(TRADING_DAYS), np.nan)


def excess(returns: pd.Series | pd.DataFrame, risk_free: pd.Series | float = 0.0) -> pd.Series | pd.DataFrame:
    """Returns in excess of the risk-free rate earned over the same days."""
    if isinstance(risk_free, pd.Series):
        rf = risk_free.reindex(returns.index)
        return returns.sub(rf, axis=0) if isinstance(returns, pd.DataFrame) else returns - rf
    return returns - float(risk_free)


def performance(returns: pd.Series, risk_free: pd.Series | float = 0.0) -> dict[str, float]:
    """Annual return, annual volatility, Sharpe and Sortino (of the returns in excess of
    ``risk_free``, the rate earned each day), maximum drawdown, Calmar.
    """
    r = returns.dropna().to_numpy(dtype=float)
    x = excess(returns, risk_free).reindex(returns.dropna().index).to_numpy(dtype=float)
    n = len(r)
    if n < 2:
        return dict.fromkeys(("annual_return", "annual_vol", "sharpe", "sortino", "max_drawdown", "calmar"), np.nan)
    growth = np.prod(1 + r)
    ann_ret = growth ** (TRADING_DAYS / n) - 1 if growth > 0 else -1.0
    sd = r.std(ddof=1)
    downside = np.sqrt(np.mean(np.minimum(x, 0.0) ** 2))
    mdd = max_drawdown(pd.Series(r))
    return {
        "annual_return": float(ann_ret),
        "annual_vol": float(sd * np.sqrt(TRADING_DAYS)),
        "sharpe": float(sharpe_ratio(x)),
        "sortino": float(x.mean() / downside * np.sqrt(TRADING_DAYS)) if downside > 0 else np.nan,
        "max_drawdown": mdd,
        "calmar": float(ann_ret / abs(mdd)) if mdd < 0 else np.nan,
    }


def deflated_sharpe(
    sharpe: float, n_obs: int, n_trials: int, sharpe_var: float, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """Deflated Sharpe ratio, with every Sharpe ratio per period (not annualised).

    Parameters
    ----------
    sharpe : float, the selected strategy's Sharpe ratio per period
    n_obs : int, number of return observations
    n_trials : int, number of strategies tried (>= 1)
    sharpe_var : float, variance of the Sharpe ratios across the trials
    skew, kurtosis : float, of the selected strategy's returns (kurtosis 3 = normal)

    Returns
    -------
    float in [0, 1]: the probability that the true Sharpe ratio beats the best
    expected from ``n_trials`` unskilled trials.
    """
    if n_trials < 1 or n_obs < 2:
        raise ValueError(f"deflated_sharpe: needs n_trials >= 1 and n_obs >= 2; got {n_trials} and {n_obs}.")
    if n_trials == 1:
        sr0 = 0.0
    else:
        sr0 = np.sqrt(sharpe_var) * (
            (1 - _EULER) * sps.norm.ppf(1 - 1 / n_trials) + _EULER * sps.norm.ppf(1 - 1 / (n_trials * np.e))
        )
    denom = np.sqrt(max(1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2, 1e-12))
    return float(sps.norm.cdf((sharpe - sr0) * np.sqrt(n_obs - 1) / denom))


def sharpe_difference(
    returns: pd.Series,
    benchmark: pd.Series,
    *,
    block: int = SHARPE_BLOCK,
    reps: int = 1000,
    seed: int = 0,
    risk_free: pd.Series | float = 0.0,
    short: Literal["raise", "nan"] = "raise",
) -> tuple[float, float]:
    r"""Annualised Sharpe ratio of ``returns`` minus that of ``benchmark``, and its standard error.

    Parameters
    ----------
    returns, benchmark : Series of daily simple returns; only the days both have are used
    block : int, default 22
        Block length of the circular block bootstrap, in days (22: about a month of
        volatility clustering kept together).
    reps : int, default 1000
        Bootstrap resamples.
    seed : int, default 0
    risk_free : Series or float, default 0.0
        The risk-free rate earned each day: both Sharpe ratios are of excess returns.
    short : {"raise", "nan"}, default "raise"
        Fewer than ``2 * block`` common days: an error, or (for a table that scores a short
        window) the difference with a NaN standard error (NaN for both below two days).

    Returns
    -------
    (difference, standard_error), both annualised (per-period values times
    :math:`\sqrt{252}`).
    """
    pair = pd.concat([returns, benchmark], axis=1, sort=True).dropna()
    both = excess(pair, risk_free).to_numpy(dtype=float)
    return _sharpe_gap(both, block, reps, seed, short, lambda: _bootstrap_sharpes(both[:, 1], block, reps, seed))


def sharpe_differences(
    returns: Sequence[pd.Series],
    benchmark: pd.Series,
    *,
    block: int = SHARPE_BLOCK,
    reps: int = 1000,
    seed: int = 0,
    risk_free: pd.Series | float = 0.0,
    short: Literal["raise", "nan"] = "raise",
) -> list[tuple[float, float]]:
    """:func:`sharpe_difference` of each of ``returns`` against one ``benchmark``, in order.

    A series on the benchmark's days (no NaN in either) shares the benchmark's excess
    returns and its bootstrap Sharpe ratios, computed once (the bootstrap's resamples are
    the same for every series of a length); any other goes through
    :func:`sharpe_difference` itself. The same numbers as one call per series, to the bit
    (tested): a strategy table's gaps, ten an asset, cost a tenth of its scoring before.
    """
    index = benchmark.index
    shared = bool(index.is_unique and index.is_monotonic_increasing and not benchmark.isna().any())
    rf = risk_free.reindex(index).to_numpy(dtype=float) if isinstance(risk_free, pd.Series) else float(risk_free)
    bench_excess = benchmark.to_numpy(dtype=float) - rf
    bench_sharpes = functools.cache(lambda: _bootstrap_sharpes(bench_excess, block, reps, seed))  # drawn once
    out = []
    for r in returns:
        if not (shared and r.index.equals(index) and not r.isna().any()):
            out.append(
                sharpe_difference(r, benchmark, block=block, reps=reps, seed=seed, risk_free=risk_free, short=short)
            )
            continue
        # the layout excess(...).to_numpy() has (column-major): numpy's reductions then sum
        # each column as one contiguous run, so the Sharpe ratios keep their bits
        both = np.empty((len(index), 2), order="F")
        both[:, 0] = r.to_numpy(dtype=float) - rf
        both[:, 1] = bench_excess
        out.append(_sharpe_gap(both, block, reps, seed, short, bench_sharpes))
    return out


def _sharpe_gap(
    both: np.ndarray, block: int, reps: int, seed: int, short: str, bench_sharpes: Callable[[], np.ndarray]
) -> tuple[float, float]:
    """:func:`sharpe_difference` of the two columns of ``both`` (n, 2): excess returns of the
    series and of the benchmark on their common days; ``bench_sharpes()`` gives the benchmark
    column's bootstrap Sharpe ratios (:func:`_bootstrap_sharpes`), asked only where needed.
    """
    if short == "nan" and block >= 1 and len(both) < 2 * block:
        if len(both) < 2:
            return np.nan, np.nan
        sr = sharpe_ratio(both)
        return float(sr[0] - sr[1]), np.nan
    if len(both) < 2 * block or block < 1:
        raise ValueError(
            f"sharpe_difference: needs block >= 1 and at least 2 x block = {2 * block} common days; "
            f"got block={block} and {len(both)} days. Hint: a shorter block for short samples."
        )
    sr = sharpe_ratio(both)
    gaps = _bootstrap_sharpes(both[:, 0], block, reps, seed) - bench_sharpes()
    return float(sr[0] - sr[1]), float(gaps.std(ddof=1))


def _bootstrap_sharpes(x: np.ndarray, block: int, reps: int, seed: int) -> np.ndarray:
    """The annualised Sharpe ratio of ``x`` (n,) on each resample, shape (reps,).

    The resamples are arch's circular block bootstrap's (:func:`block_starts`). A Sharpe
    ratio needs only the sum and the sum of squares of a resample, and a resample is a
    chain of blocks: each block's sums are differences of prefix sums, so a resample
    costs its number of blocks, not its number of days (the same numbers as resampling
    the days, to rounding: a test checks against arch's own loop).
    """
    n = len(x)
    starts = block_starts(n, block, reps, seed)  # (reps, blocks)
    lengths = np.full(starts.shape[1], block)
    lengths[-1] = n - block * (starts.shape[1] - 1)  # the last block is cut at n rows
    ends = starts + lengths
    ext = np.concatenate([x, x[:block]])  # circular: a block may run past the end and wrap
    p1 = np.concatenate([[0.0], np.cumsum(ext)])
    p2 = np.concatenate([[0.0], np.cumsum(ext**2)])
    s1 = (p1[ends] - p1[starts]).sum(axis=1)
    s2 = (p2[ends] - p2[starts]).sum(axis=1)
    var = np.maximum(s2 - s1 * s1 / n, 0.0) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, s1 / n / np.sqrt(var) * np.sqrt(TRADING_DAYS), np.nan)
