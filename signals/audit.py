"""Causality check for a fitted forecaster: the future must not move a forecast.

For each cut date ``t``, the rows on or after ``t`` are deleted, then (in a
second pass) replaced by perturbed values; every forecast for a date up to and
including ``t`` must come out exactly as before. A forecaster that peeks at
the row it forecasts, or later ones, fails loudly with the model and the date.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from core.errors import TradecastError

__all__ = ["CausalityError", "check_causality"]


class CausalityError(TradecastError, AssertionError):
    """A forecast changed when only data on or after its date changed."""


def check_causality(
    forecaster,
    frame: pd.DataFrame,
    index: pd.DatetimeIndex,
    cuts: Iterable[pd.Timestamp],
    *,
    seed: int = 0,
    rtol: float = 1e-12,
) -> int:
    """Raise :class:`CausalityError` unless every forecast for a date ``<= t``
    is unchanged when rows ``>= t`` are deleted or perturbed.

    Parameters
    ----------
    forecaster : fitted forecaster
    frame : DataFrame, the feature frame it forecasts from
    index : DatetimeIndex, the dates to forecast
    cuts : dates ``t`` at which to cut
    seed : int, seeds the perturbation
    rtol : float, default 1e-12
        Relative tolerance: a network's batched kernels may round the last bit
        differently when a different set of dates is asked for; that carries no
        information. A leak moves a forecast by far more.

    Returns
    -------
    int, the number of forecasts compared.
    """
    rng = np.random.default_rng(seed)
    index = pd.DatetimeIndex(index)
    base = forecaster.predict(frame, index)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    name = getattr(forecaster, "name", type(forecaster).__name__)
    compared = 0
    for t in pd.DatetimeIndex(list(cuts)):
        keep = index[index <= t]
        if len(keep) == 0:
            continue
        after = frame.index >= t
        perturbed = frame.copy()
        factors = rng.uniform(0.3, 3.0, size=(int(after.sum()), len(numeric)))
        perturbed.loc[after, numeric] = frame.loc[after, numeric].to_numpy() * factors
        for how, variant in (("deleted", frame.loc[~after]), ("changed", perturbed)):
            got = forecaster.predict(variant, keep)
            a, b = base.reindex(keep).to_numpy(), got.to_numpy()
            same = np.isclose(a, b, rtol=rtol, atol=0.0) | (np.isnan(a) & np.isnan(b))
            if not same.all():
                i = int(np.argmax(~same))
                raise CausalityError(
                    f"{name}: the forecast for {keep[i].date()} changed from {a[i]!r} to {b[i]!r} when rows on or "
                    f"after {t.date()} were {how}. A forecast may only use rows before its date."
                )
            compared += len(keep)
    return compared
