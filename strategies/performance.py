r"""Performance statistics of daily returns, and the deflated Sharpe ratio.

All statistics take simple daily returns and annualise with 252 days:

* annual return :math:`\prod(1 + r)^{252/n} - 1`; annual volatility :math:`s\sqrt{252}`;
* Sharpe :math:`\bar r / s \cdot \sqrt{252}` and Sortino
  :math:`\bar r / \sqrt{\overline{\min(r, 0)^2}} \cdot \sqrt{252}` (no risk-free rate);
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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from signals.features import TRADING_DAYS

__all__ = ["performance", "max_drawdown", "deflated_sharpe", "TRADING_DAYS"]
_EULER = 0.5772156649015329


def max_drawdown(returns: pd.Series) -> float:
    """Largest fall of the equity curve from a previous peak (e.g. -0.35)."""
    equity = np.cumprod(1 + returns.fillna(0.0).to_numpy())
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float((equity / peak - 1).min()) if len(equity) else np.nan


def performance(returns: pd.Series) -> dict[str, float]:
    """Annual return, annual volatility, Sharpe, Sortino, maximum drawdown, Calmar."""
    r = returns.dropna().to_numpy(dtype=float)
    n = len(r)
    if n < 2:
        return dict.fromkeys(("annual_return", "annual_vol", "sharpe", "sortino", "max_drawdown", "calmar"), np.nan)
    growth = np.prod(1 + r)
    ann_ret = growth ** (TRADING_DAYS / n) - 1 if growth > 0 else -1.0
    sd = r.std(ddof=1)
    downside = np.sqrt(np.mean(np.minimum(r, 0.0) ** 2))
    mdd = max_drawdown(pd.Series(r))
    return {
        "annual_return": float(ann_ret),
        "annual_vol": float(sd * np.sqrt(TRADING_DAYS)),
        "sharpe": float(r.mean() / sd * np.sqrt(TRADING_DAYS)) if sd > 0 else np.nan,
        "sortino": float(r.mean() / downside * np.sqrt(TRADING_DAYS)) if downside > 0 else np.nan,
        "max_drawdown": mdd,
        "calmar": float(ann_ret / abs(mdd)) if mdd < 0 else np.nan,
    }


def deflated_sharpe(sharpe: float, n_obs: int, n_trials: int, sharpe_var: float, skew: float = 0.0, kurtosis: float = 3.0) -> float:
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
        sr0 = np.sqrt(sharpe_var) * ((1 - _EULER) * sps.norm.ppf(1 - 1 / n_trials) + _EULER * sps.norm.ppf(1 - 1 / (n_trials * np.e)))
    denom = np.sqrt(max(1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2, 1e-12))
    return float(sps.norm.cdf((sharpe - sr0) * np.sqrt(n_obs - 1) / denom))
