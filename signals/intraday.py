"""Intraday bars to daily bars and realized measures.

:func:`realized_measures` samples one symbol's intraday closes on a regular
grid (previous tick, 5 minutes by default), takes log returns within each day
and computes, per day, the realized variance, bipower variation, realized
semivariances and realized quarticity (:func:`signals.realized.day_measures`),
with the daily open, high, low, close and volume. The overnight return (last
price of the previous day to the first of this one) is never mixed into the
intraday returns: it is its own column, and ``overnight="add"`` adds its square
to the variance measures explicitly.

:func:`engine.data.load` calls it with ``intraday=True``; the measures become
feature-frame columns (``estimator="realized"`` makes ``realized`` the variance
target; ``bv``, ``rs_pos``, ``rs_neg`` and ``rq`` feed the HAR-X family).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from core.errors import DataError
from signals import realized

__all__ = ["MEASURES", "Overnight", "realized_measures"]

Overnight = Literal["separate", "add"]

#: Columns :func:`realized_measures` adds to the daily bars.
MEASURES = ("realized", "bv", "rs_pos", "rs_neg", "rq", "n_intraday", "overnight")


def realized_measures(bars: pd.DataFrame, *, every: str = "5min", overnight: Overnight = "separate") -> pd.DataFrame:
    """Daily bars and realized measures from one symbol's intraday bars.

    Parameters
    ----------
    bars : DataFrame indexed by timestamp (several per day), with ``close`` and
        optionally ``open``, ``high``, ``low``, ``volume``; local exchange time.
    every : str, default "5min"
        Sampling grid (a pandas frequency): the last price at or before each grid
        point is used (previous tick), within the day's first and last trade.
    overnight : {"separate", "add"}, default "separate"
        "separate": the overnight log return is the column ``overnight`` and the
        measures are open-to-close; "add": its square is added to ``realized``,
        ``bv`` and the semivariance of its sign (close-to-close measures).

    Returns
    -------
    DataFrame indexed by ``date``: ``open, high, low, close[, volume]`` and
    :data:`MEASURES` (``realized`` is the realized variance; ``n_intraday`` the
    number of intraday returns; ``overnight`` NaN on the first day).
    """
    if overnight not in get_args(Overnight):
        raise DataError(f"overnight must be one of {', '.join(get_args(Overnight))}; got {overnight!r}.")
    if not isinstance(bars.index, pd.DatetimeIndex) or "close" not in bars.columns:
        raise DataError("realized_measures needs intraday bars indexed by timestamp with a 'close' column.")
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(every))
    except (ValueError, TypeError):
        raise DataError(f"every={every!r} is not a frequency. Hint: '5min', '1min', '30s'.") from None
    close = bars["close"].astype(float).dropna()
    if (close <= 0).any():
        raise DataError("realized_measures: intraday closes must be positive prices.")
    day = close.index.normalize()
    last_by_day = close.index.to_series().groupby(day).max()
    grid = close.resample(every, label="right", closed="right").last()
    grid_day = grid.index.normalize()
    grid = grid.groupby(grid_day).ffill()
    # keep grid points inside each day's trading: after its first trade (NaN before) and up to its last trade
    ends = last_by_day.reindex(grid.index.normalize()).to_numpy()
    inside = (grid.index - step).to_numpy() < ends
    grid = grid[inside].dropna()
    if grid.empty:
        raise DataError(f"realized_measures: no prices on the {every} grid. Hint: a coarser every.")
    days = grid.index.normalize()
    codes, uniques = pd.factorize(days)
    logp = np.log(grid.to_numpy())
    same_day = np.r_[False, codes[1:] == codes[:-1]]
    r = np.diff(logp, prepend=np.nan)[same_day]
    m = realized.day_measures(r, codes[same_day], len(uniques))
    first_idx = np.flatnonzero(~same_day)
    first_price, last_price = logp[first_idx], logp[np.r_[first_idx[1:] - 1, len(logp) - 1]]
    night = np.r_[np.nan, first_price[1:] - last_price[:-1]]

    by_day = bars.loc[close.index].groupby(day)
    out = pd.DataFrame(index=pd.DatetimeIndex(uniques, name="date"))
    out["open"] = (by_day["open"].first() if "open" in bars else by_day["close"].first()).reindex(out.index)
    out["high"] = (by_day["high"].max() if "high" in bars else by_day["close"].max()).reindex(out.index)
    out["low"] = (by_day["low"].min() if "low" in bars else by_day["close"].min()).reindex(out.index)
    out["close"] = by_day["close"].last().reindex(out.index)
    if "volume" in bars:
        out["volume"] = by_day["volume"].sum().reindex(out.index)
    out["realized"], out["bv"], out["rs_pos"], out["rs_neg"] = m["rv"], m["bv"], m["rs_pos"], m["rs_neg"]
    out["rq"], out["n_intraday"], out["overnight"] = m["rq"], m["n"], night
    if overnight == "add":
        o2 = np.nan_to_num(night**2)
        out["realized"] += o2
        out["bv"] += o2
        out["rs_pos"] += np.where(night > 0, o2, 0.0)
        out["rs_neg"] += np.where(night < 0, o2, 0.0)
    return out
