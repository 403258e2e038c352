"""When a weight is decided and what it earns.

The rule everywhere in tradecast: a forecast is labelled by the date it
forecasts, ``t``, and is made at the close of ``t - 1``. The weight built from
it is labelled ``t`` too: decided at the close of ``t - 1``, held over ``t``,
it earns the return of ``t`` (close ``t - 1`` to close ``t``).
:func:`strategies.backtest.backtest` places the order for weight ``t`` at the
close of ``t - 1``; nothing can trade on the bar it forecasts.

A forecast labelled by the date it was *made* instead breaks that rule by one
bar. :func:`check_alignment` catches it for forecasts with skill about their
own target (return forecasts, trade signals): such a series tracks the *next*
bar's realised value better than its own bar's. For persistent targets like
variance the test has no power (a late variance forecast contains the day it is
applied to, which keeps it close to that day), so there the guarantee is
structural: tradecast's forecasters label by target date, audited by
:mod:`signals.audit`, and the backtest trades weight ``t`` at the close of ``t - 1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import TradecastError
from signals.features import TRADING_DAYS, annual_vol

__all__ = ["TRADING_DAYS", "AlignmentError", "annual_vol", "check_alignment"]


class AlignmentError(TradecastError, ValueError):
    """A forecast that looks labelled by its origin date rather than its target date."""


def _corr(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 30 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return np.nan, int(ok.sum())
    return float(np.corrcoef(a[ok], b[ok])[0, 1]), int(ok.sum())


def check_alignment(forecast: pd.Series, realized: pd.Series, *, name: str = "forecast", z: float = 4.0) -> None:
    """Raise :class:`AlignmentError` if ``forecast`` looks one bar late.

    Compares the rank correlation of the forecast with the realised value of
    its own date and with that of the next date. A forecast labelled by target
    date is closer to its own date; one labelled by origin date is closer to the
    next. The difference must exceed ``z`` standard errors (Fisher transform)
    before it counts, so noise does not trip it.

    Parameters
    ----------
    forecast : Series, labelled by the date forecast
    realized : Series, the realised target by date (return, or realized variance)
    name : str, used in the message
    z : float, default 4.0
    """
    f = forecast.rank()
    y = realized.reindex(forecast.index).rank()
    y_next = realized.shift(-1).reindex(forecast.index).rank()
    same, n = _corr(f.to_numpy(float), y.to_numpy(float))
    nxt, _ = _corr(f.to_numpy(float), y_next.to_numpy(float))
    if np.isnan(same) or np.isnan(nxt):
        return
    fisher = np.arctanh(np.clip([same, nxt], -0.999999, 0.999999))
    if (fisher[1] - fisher[0]) * np.sqrt((n - 3) / 2) > z:
        raise AlignmentError(
            f"{name} tracks the next day's realised value (rank correlation {nxt:.2f}) much better than its own "
            f"day's ({same:.2f}): it looks labelled by the date it was made, not the date it forecasts. A weight "
            f"built from it would trade on information from the bar it earns. Hint: label forecasts by target "
            f"date (forecast.shift(1) moves origin labels to target labels); tradecast's forecasters already do."
        )
