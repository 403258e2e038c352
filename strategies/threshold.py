r"""Threshold trades from return forecasts, and volatility regimes from variance forecasts.

Return rule, with a forecast :math:`\hat r_t` for day :math:`t` (or its z-score
:math:`\hat r_t / \hat\sigma_t`):

.. math::

    w_t = \begin{cases} +1 & \hat r_t > u \\ -1 \text{ (or 0 if long-only)} & \hat r_t < l \\
    0 \text{ or } w_{t-1} & \text{otherwise} \end{cases}

Regime rule: invested while the forecast annual volatility for the day is below
a fixed level or below its trailing quantile.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from core.checks import check_choice, check_int, check_number
from core.errors import ParameterError
from strategies.timing import annual_vol

__all__ = ["regime_weights", "threshold_weights"]


def threshold_weights(
    return_forecast: pd.Series,
    *,
    upper: float = 0.0,
    lower: float | None = None,
    short: bool = True,
    between: Literal["flat", "hold"] = "flat",
    units: Literal["return", "zscore"] = "return",
    variance_forecast: pd.Series | None = None,
) -> pd.Series:
    """Long above ``upper``, short (or flat) below ``lower``, else flat or hold.

    Parameters
    ----------
    return_forecast : Series, labelled by the date forecast
    upper : float, default 0.0
    lower : float, optional (default ``-upper``); must not exceed ``upper``
    short : bool, default True
        Go short below ``lower``; with False, stay flat there.
    between : {"flat", "hold"}, default "flat"
        Between the thresholds: no position, or keep the previous one.
    units : {"return", "zscore"}, default "return"
        Thresholds in daily return units, or in units of the forecast
        volatility (``variance_forecast`` required).
    variance_forecast : Series, optional
        Daily variance forecasts for the z-score.

    Returns
    -------
    Series of weights in {-1, 0, 1}, labelled by the day held.
    """
    who = "threshold_weights"
    check_choice(who, "between", between, ("flat", "hold"))
    check_choice(who, "units", units, ("return", "zscore"))
    lower = -upper if lower is None else lower
    check_number(who, "lower", lower, lambda v: v <= upper, f"at most upper={upper}")
    signal = return_forecast.astype(float)
    if units == "zscore":
        if variance_forecast is None:
            raise ParameterError(
                f"{who}: units='zscore' needs variance_forecast (daily variance by date) to scale the return forecast."
            )
        signal = signal / np.sqrt(variance_forecast.reindex(signal.index).where(lambda v: v > 0))
    w = pd.Series(np.nan, index=signal.index)
    w[signal > upper] = 1.0
    w[signal < lower] = -1.0 if short else 0.0
    inside = signal.notna() & w.isna()
    if between == "flat":
        w[inside] = 0.0
    else:
        w = w.ffill().where(signal.notna())
        w = w.fillna(0.0).where(signal.notna())
    return w.rename("threshold")


def regime_weights(
    variance_forecast: pd.Series,
    *,
    max_vol: float | None = None,
    quantile: float | None = None,
    lookback: int = 252,
    invested: float = 1.0,
) -> pd.Series:
    """Invested while forecast volatility is calm, flat otherwise.

    Parameters
    ----------
    variance_forecast : Series, daily variance labelled by the date forecast
    max_vol : float, optional
        Annual volatility level (0.20 = 20 %) below which to be invested.
    quantile : float in (0, 1), optional
        Or: below the trailing ``quantile`` of the last ``lookback`` forecasts
        (all known at the close before the day held). Give exactly one of the two.
    lookback : int, default 252
    invested : float, default 1.0
        The weight when invested.
    """
    who = "regime_weights"
    if (max_vol is None) == (quantile is None):
        raise ParameterError(
            f"{who}: give exactly one of max_vol (a level, e.g. 0.20) or quantile (e.g. 0.8); got "
            f"max_vol={max_vol!r}, quantile={quantile!r}."
        )
    vol = annual_vol(variance_forecast)
    if max_vol is not None:
        check_number(who, "max_vol", max_vol, lambda v: v > 0, "a positive annual volatility")
        level = pd.Series(max_vol, index=vol.index)
    else:
        check_number(who, "quantile", quantile, lambda v: 0 < v < 1, "in (0, 1)")
        check_int(who, "lookback", lookback, 2)
        level = vol.rolling(lookback, min_periods=lookback).quantile(quantile)
    w = pd.Series(np.where(vol < level, invested, 0.0), index=vol.index)
    return w.where(vol.notna() & level.notna()).rename("regime")
