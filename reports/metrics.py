r"""Forecast metrics (point metrics here; the full leaderboard comes with the reports issue).

Point metrics for a forecast :math:`f` of realised values :math:`y`:

.. math::

    \mathrm{MAE} = \overline{|y - f|}, \quad
    \mathrm{RMSE} = \sqrt{\overline{(y - f)^2}}, \quad
    R^2 = 1 - \frac{\sum (y - f)^2}{\sum (y - \bar y)^2}, \quad
    \text{direction} = \overline{1[\operatorname{sign} f = \operatorname{sign} y]}

:func:`price_metrics` scores a price forecast twice: on price levels and on
the returns it implies. Price levels flatter any model: tomorrow's close is
mostly today's, so even "no change" scores an :math:`R^2` near 1. The table
puts that persistence benchmark beside the model, and the return rows show
what the model really knows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from signals.base import realized_target

__all__ = ["point_metrics", "price_metrics"]


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


def price_metrics(price_forecast: pd.Series, frame: pd.DataFrame, horizon: int = 1) -> pd.DataFrame:
    """Price-level and return metrics of a price forecast, beside the persistence benchmark.

    Parameters
    ----------
    price_forecast : Series
        Forecast closes labelled by the first date forecast (as from a
        forecaster with ``target="price"``).
    frame : DataFrame, feature frame with ``close`` and ``return``
    horizon : int, default 1

    Returns
    -------
    DataFrame indexed by (``level``, ``model``): ``level`` is "price" or "return",
    ``model`` is the forecast's name or "persistence" (no change).
    """
    index = price_forecast.index
    pos = frame.index.searchsorted(index, side="left") - 1
    prev_close = pd.Series(frame["close"].to_numpy()[pos], index=index)
    price = realized_target(frame, "price", horizon).reindex(index)
    ret = realized_target(frame, "return", horizon).reindex(index)
    implied = np.log(price_forecast / prev_close)
    name = price_forecast.name or "model"
    rows = {
        ("price", name): point_metrics(price, price_forecast),
        ("price", "persistence"): point_metrics(price, prev_close),
        ("return", name): point_metrics(ret, implied),
        ("return", "persistence"): point_metrics(ret, np.zeros(len(ret))),
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["level", "model"])
    return out
