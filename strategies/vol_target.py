r"""Volatility targeting: size positions so that forecast risk meets a target.

.. math:: w_t = \min\left(\frac{\sigma^*}{\hat\sigma_t},\ L\right), \qquad
          \hat\sigma_t = \sqrt{\frac{252}{k} \sum_{j=0}^{k-1} \hat v_{t-j}}

with :math:`\hat v_t` the daily variance forecast for day :math:`t` (made at the
close of :math:`t-1`, so every term is known when :math:`w_t` is decided),
:math:`k` the number of forecasts averaged (``smooth``; 1 = the latest only),
:math:`\sigma^*` the annual target and :math:`L` the leverage cap. Weights are
labelled by the day they are held.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.checks import UNSET, check_choice, check_int, check_number, renamed
from core.errors import ParameterError
from strategies.spec import DEFAULT_SPEC
from strategies.timing import annual_vol

__all__ = ["Budget", "apply_band", "smoothed_variance", "vol_target_weights"]

Budget = Literal["per_asset", "equal_risk"]


def apply_band(weights: np.ndarray, band: float) -> np.ndarray:
    """Hold the previous weight while the new one is within ``band`` of it.

    Parameters
    ----------
    weights : ndarray, shape (n_dates,) or (n_dates, n_assets); NaN = no position decided
    band : float >= 0, in weight units (0.1 = ten percentage points)

    Returns
    -------
    ndarray, same shape: piecewise-constant weights that change only when a new
    target leaves the band around the weight held.
    """
    w = np.array(weights, dtype=float, copy=True)
    flat = w.reshape(len(w), -1)
    for j in range(flat.shape[1]):
        held = np.nan
        for t in range(flat.shape[0]):
            x = flat[t, j]
            if np.isnan(x):
                held = np.nan
            elif np.isnan(held) or abs(x - held) > band:
                held = x
            flat[t, j] = held
    return flat.reshape(w.shape)


def smoothed_variance(variance_forecast: pd.Series | pd.DataFrame, smooth: int) -> pd.Series | pd.DataFrame:
    """The variance vol-targeting sizes on: non-positive forecasts dropped, then the mean of
    the last ``smooth`` forecasts (fewer at the start); a day without a forecast stays NaN.
    """
    v = variance_forecast.where(variance_forecast > 0)
    return v.rolling(smooth, min_periods=1).mean().where(v.notna()) if smooth > 1 else v


def _targets(who: str, name: str, target_vol: Any, forecasts: pd.Series | pd.DataFrame) -> Any:
    """``target_vol`` checked: a positive number, or (for a frame) one per column as a Series."""
    if not isinstance(target_vol, Mapping):
        check_number(who, name, target_vol, lambda v: v > 0, "a positive annual volatility such as 0.10")
        return target_vol
    if not isinstance(forecasts, pd.DataFrame):
        raise ParameterError(
            f"{who}: {name} is a mapping {dict(target_vol)!r}, but the forecasts are one series. "
            "Hint: a number such as 0.10; per-asset targets need a DataFrame with one column per asset."
        )
    missing = [c for c in forecasts.columns if c not in target_vol]
    if missing:
        raise ParameterError(
            f"{who}: {name} has no target for column(s) {', '.join(map(str, missing))}; got {dict(target_vol)!r}. "
            f"Hint: one annual vol per asset, e.g. {{{missing[0]!r}: 0.10}}."
        )
    for key, v in target_vol.items():
        check_number(who, f"{name}[{key!r}]", v, lambda x: x > 0, "a positive annual volatility such as 0.10")
    return pd.Series({c: float(target_vol[c]) for c in forecasts.columns})


def vol_target_weights(
    variance_forecast: pd.Series | pd.DataFrame,
    *,
    target_vol: float | Mapping[str, float] = DEFAULT_SPEC.target_vol,
    max_leverage: float = DEFAULT_SPEC.max_leverage,
    direction: pd.Series | pd.DataFrame | None = None,
    long_only: bool = True,
    band: float = 0.0,
    budget: Budget = "per_asset",
    smooth: int = DEFAULT_SPEC.smooth,
    target: Any = UNSET,
) -> pd.Series | pd.DataFrame:
    """Weights that aim the forecast volatility at ``target_vol``.

    Parameters
    ----------
    variance_forecast : Series or DataFrame (dates x assets)
        Daily variance forecasts labelled by the date forecast (from a
        forecaster or :func:`engine.walkforward.walk_forward`).
    target_vol : float or mapping of column to float, default 0.10
        (:data:`strategies.spec.DEFAULT_SPEC`, as every default here)
        Annual volatility target (0.10 = 10 %); for a universe, a mapping gives
        each asset (column) its own target and must name every column.
        ``target`` is the deprecated spelling (``target`` now means only a
        forecast kind).
    max_leverage : float, default 2.0
        Cap on each asset's weight and on the gross weight of a universe.
    direction : Series or DataFrame, optional
        Sign of the position per date (a return forecast, say); long by default.
    long_only : bool, default True
        Clip short weights to zero (matters only with ``direction``).
    band : float, default 0.0
        Rebalance band: keep the weight held while the new one is within
        ``band`` of it (see :func:`apply_band`).
    budget : {"per_asset", "equal_risk"}, default "per_asset"
        Universe: every asset aims at ``target_vol`` on its own, or each gets an
        equal share ``target_vol / n`` of the risk budget.
    smooth : int, default 10 (:data:`strategies.spec.DEFAULT_SPEC`)
        Size on the mean of the last ``smooth`` variance forecasts (the one for
        the day held and the ``smooth - 1`` before it; fewer at the start), so
        that one day's noise in a forecast does not move the position. A day
        without a forecast still gets no weight.

    Returns
    -------
    Weights labelled by the date they are held; NaN where no forecast exists.
    """
    who = "vol_target_weights"
    target_vol = renamed(who, "target", target, "target_vol", target_vol, DEFAULT_SPEC.target_vol)
    targets = _targets(who, "target_vol" if target is UNSET else "target", target_vol, variance_forecast)
    check_number(who, "max_leverage", max_leverage, lambda v: v > 0, "a positive number")
    check_number(who, "band", band, lambda v: v >= 0, "a non-negative weight change")
    check_choice(who, "budget", budget, ("per_asset", "equal_risk"))
    check_int(who, "smooth", smooth, 1, hint="the number of daily forecasts averaged; 1 sizes on the latest alone")
    vol = annual_vol(smoothed_variance(variance_forecast, smooth))
    n_assets = 1 if isinstance(vol, pd.Series) else vol.shape[1]
    share = targets / n_assets if budget == "equal_risk" else targets
    w = (share / vol).clip(upper=max_leverage)
    if direction is not None:
        w = w * np.sign(direction.reindex(w.index))
        if long_only:
            w = w.clip(lower=0.0)
    if isinstance(w, pd.DataFrame):
        gross = w.abs().sum(axis=1, min_count=1)
        w = w.mul((max_leverage / gross).clip(upper=1.0), axis=0)
    if band > 0:
        w = w.copy()
        w.loc[:] = apply_band(w.to_numpy(), band)
    return w.rename("vol_target") if isinstance(w, pd.Series) else w
