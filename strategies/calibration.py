r"""Put variance forecasts of a realised-variance proxy on the scale of the returns traded.

A forecaster trained on a range estimator (Garman-Klass, say) forecasts that
estimator, and on the S&P 500 it sits about 1.6 times below the variance of
the close-to-close returns a position earns (the overnight move and the
discreteness of the range are missing). Vol-targeting on it then runs hot:
11.7 % realised for a 10 % target. The scale is

.. math:: k_t = \frac{\sum_{s<t} r_s^2}{\sum_{s<t} \mathrm{rv}_s},

over every earlier row where both are known: expanding, so the years of
history before the first forecast count and one crisis does not swing it,
and causal, since the forecast for day :math:`t` is made at the close of
:math:`t - 1`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd

from core.checks import check_int

__all__ = ["Calibrate", "calibrated", "close_scale", "proxy_scale", "return_variance", "shared_scale"]

#: How variance forecasts are scaled before vol-targeting: not at all, or by
#: :func:`proxy_scale` where the forecast is of the realised-variance proxy.
Calibrate = Literal["none", "proxy"]


def proxy_scale(returns: pd.Series, proxy: pd.Series, *, min_periods: int = 21) -> pd.Series:
    """The causal ratio of mean squared return to mean realised-variance proxy.

    Parameters
    ----------
    returns : Series, daily log returns
    proxy : Series, the daily realised-variance proxy (the ``rv`` column), same units squared
    min_periods : int, default 21
        Rows with both values needed before a scale is given (NaN before).

    Returns
    -------
    Series on the union of both indexes: the scale for each day, from the rows
    strictly before it.
    """
    check_int("proxy_scale", "min_periods", min_periods, 1)
    r2, rv = (returns**2).align(proxy, join="outer")
    both = r2.notna() & rv.notna()
    # min_periods counts rows with a value, i.e. rows with both values here
    num = r2.where(both).expanding(min_periods=min_periods).sum()
    den = rv.where(both).expanding(min_periods=min_periods).sum()
    return (num / den).shift(1).rename("proxy_scale")  # day t from rows < t


def calibrated(
    variance_forecast: pd.Series, close: pd.Series, proxy: pd.Series, *, scale: pd.Series | None = None
) -> pd.Series:
    """A forecast of the realised-variance ``proxy`` put on the scale of the returns
    of ``close``: the forecast times :func:`proxy_scale` of the close's log returns,
    on the forecast's dates (causal: each scale uses rows before its date).

    ``scale``: that :func:`close_scale` already computed, for a caller that puts several
    forecasts of one asset on its scale (it depends on the close and the proxy alone).
    """
    if scale is None:
        scale = close_scale(close, proxy)
    return variance_forecast * scale.reindex(variance_forecast.index)


def close_scale(close: pd.Series, proxy: pd.Series) -> pd.Series:
    """:func:`proxy_scale` of the log returns of ``close``: what :func:`calibrated` multiplies by."""
    from signals.features import log_returns

    return proxy_scale(log_returns(close), proxy)


def shared_scale(
    close: pd.Series, proxy: pd.Series | None, *, calibrate: Calibrate, kinds: Iterable[str]
) -> pd.Series | None:
    """One asset's :func:`close_scale` for all its models (``kinds``: each model's ``variance_of``),
    where :func:`return_variance` will use it: ``calibrate`` is ``"proxy"``, there is a proxy and
    some model forecasts it (``"target"``); None otherwise.
    """
    if calibrate != "proxy" or proxy is None or "target" not in set(kinds):
        return None
    return close_scale(close, proxy)


def return_variance(
    variance_forecast: pd.Series,
    close: pd.Series,
    proxy: pd.Series | None,
    *,
    calibrate: Calibrate,
    variance_of: str = "target",
    scale: pd.Series | None = None,
) -> pd.Series:
    """A variance forecast on the scale of the returns of ``close``: :func:`calibrated` where
    ``calibrate`` is ``"proxy"`` and the model forecasts the realised-variance proxy
    (``variance_of == "target"``), as it is otherwise. The one rule vol-targeting, the
    portfolios and the VaR forecasts share. ``scale``: as :func:`calibrated`'s.
    """
    if calibrate == "proxy" and variance_of == "target":
        if proxy is None:
            raise ValueError("return_variance: calibrate='proxy' needs proxy, the realised-variance series.")
        return calibrated(variance_forecast, close, proxy, scale=scale)
    return variance_forecast
