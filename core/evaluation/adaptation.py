r"""How fast a forecaster adapts to a new volatility level.

A *regime shift* at day :math:`t` is a day where the realised volatility of the
next ``window`` days differs from that of the previous ``window`` days by a
factor of at least ``ratio`` (up) or at most ``1 / ratio`` (down),

.. math:: \frac{\bar\sigma_{t..t+w-1}}{\bar\sigma_{t-w..t-1}} \ge r
          \quad\text{or}\quad \le \frac1r,

with :math:`\bar\sigma` the square root of the mean realised variance, the
largest shifts first and at least ``gap`` days apart. A model's *adaptation
lag* after a shift is the number of days until its volatility forecast first
lies within ``band`` (relative) of the new level :math:`\bar\sigma_{t..t+w-1}`:
0 when it forecasts the new level on the day of the shift. A model that does
not get there within ``horizon`` days is censored (NaN; reported as such).

The shifts are found from realised data after the fact: this is a diagnostic
of out-of-sample forecasts, not a signal, so it may look ahead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.calendar import TRADING_DAYS

__all__ = ["adaptation_lag", "regime_shifts"]


def regime_shifts(realized: pd.Series, *, window: int = 22, ratio: float = 1.5, gap: int = 66) -> pd.DataFrame:
    """The regime shifts of a realised-variance series.

    Parameters
    ----------
    realized : Series of daily realised variance
    window : int, days averaged before and after
    ratio : float > 1, the least change of volatility that counts
    gap : int, days between two shifts at least

    Returns
    -------
    DataFrame indexed by shift date: ``direction`` ("up"/"down"), ``vol_before``
    and ``vol_after`` (annualised), ``change`` (their ratio); in date order.
    """
    if not ratio > 1:
        raise ValueError(f"regime_shifts: ratio must be above 1; got {ratio!r}. Hint: 1.5 for a 50 % change.")
    v = realized.astype(float)
    before = v.rolling(window).mean().shift(1)
    after = v[::-1].rolling(window).mean()[::-1]
    change = np.sqrt(after / before)
    score = np.log(change).abs()
    candidates = score[(change >= ratio) | (change <= 1 / ratio)].sort_values(ascending=False)
    taken: list[int] = []
    pos = {d: i for i, d in enumerate(v.index)}
    for d in candidates.index:
        i = pos[d]
        if all(abs(i - j) >= gap for j in taken):
            taken.append(i)
    dates = v.index[sorted(taken)]
    return pd.DataFrame(
        {
            "direction": np.where(change[dates] > 1, "up", "down"),
            "vol_before": np.sqrt(TRADING_DAYS * before[dates]),
            "vol_after": np.sqrt(TRADING_DAYS * after[dates]),
            "change": change[dates],
        },
        index=dates,
    )


def adaptation_lag(
    forecasts: pd.DataFrame, shifts: pd.DataFrame, *, band: float = 0.25, horizon: int = 66
) -> pd.DataFrame:
    """Days each model takes to come within ``band`` of the new level after each shift.

    Parameters
    ----------
    forecasts : DataFrame, daily variance forecasts by target date, one column per model
    shifts : DataFrame, :func:`regime_shifts`
    band : float, relative distance to the new volatility level that counts as there (0.25 = 25 %)
    horizon : int, days searched after the shift; later is censored (NaN)

    Returns
    -------
    DataFrame: shifts x models, the lag in trading days (NaN: not within ``horizon``,
    or no forecasts on the shift's day).
    """
    vol = np.sqrt(TRADING_DAYS * forecasts.astype(float))
    out = pd.DataFrame(np.nan, index=shifts.index, columns=forecasts.columns)
    for date, row in shifts.iterrows():
        if date not in vol.index:
            continue
        start = vol.index.get_loc(date)
        ahead = vol.iloc[start : start + horizon + 1]
        near = (ahead / row["vol_after"] - 1).abs() <= band
        for m in forecasts.columns:
            if vol[m].iloc[start : start + 1].isna().all():
                continue
            hits = np.flatnonzero(near[m].to_numpy())
            out.loc[date, m] = float(hits[0]) if len(hits) else np.nan
    return out
