r"""Forecast combinations: weights of several variance forecasters, fitted on their past only.

A combination of :math:`M` out-of-sample variance forecasts :math:`f_{m,t}`
(each labelled by the date it forecasts) is

.. math:: \hat\sigma^2_t = \sum_{m=1}^{M} w_{m,t} f_{m,t}, \qquad w_{m,t} \ge 0,\ \sum_m w_{m,t} = 1.

``weights="equal"`` fixes :math:`w_{m,t} = 1/M`. ``weights="rolling"`` fits
them anew for every date on the last ``window`` dates whose realised target was
known when the forecast for :math:`t` was made (at the close of the day before
:math:`t`, the target of date :math:`j` at horizon :math:`h` is known once
:math:`j + h - 1 < t`): the weights on a grid of the simplex (steps of ``step``)
with the lowest mean QLIKE there. Before ``min_obs`` such dates exist, the
weights are equal. Nothing after the forecast's origin enters its weights, so
the combination is as causal as its members (a test checks it).

QLIKE is not convex in the weights, so a grid is searched rather than a
gradient followed; with the losses of every grid point summed once over the
dates (cumulative sums), the whole path of weights costs one pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.checks import check_choice, check_int, check_number
from core.errors import ParameterError

__all__ = ["Combination", "CombinationWeights", "rolling_weights", "simplex_grid"]

CombinationWeights = Literal["rolling", "equal"]


def simplex_grid(m: int, step: float) -> np.ndarray:
    """Every weight vector of ``m`` non-negative weights summing to one, in multiples of
    ``step``; shape (n_points, m). ``1 / step`` must be a whole number.
    """
    k = round(1 / step)
    points = [c for c in itertools.product(range(k + 1), repeat=m - 1) if sum(c) <= k]
    grid = np.array([[*c, k - sum(c)] for c in points], dtype=float) / k
    return grid


def rolling_weights(
    forecasts: np.ndarray,
    realized: np.ndarray,
    *,
    horizon: int,
    window: int,
    min_obs: int,
    step: float = 0.05,
) -> np.ndarray:
    """Combination weights per date from the past ``window`` dates with known targets.

    Parameters
    ----------
    forecasts : ndarray (n, m), each member's forecast per date (labelled by target date), in date order
    realized : ndarray (n,), the realised target per date (NaN where unknown)
    horizon : int, the forecasts' horizon: the target of row ``j`` is known after row ``j + horizon - 1``
    window, min_obs : int, dates used at most, and at least (else equal weights)
    step : float, the grid's step

    Returns
    -------
    ndarray (n, m): row ``i``'s weights use only rows ``j <= i - horizon`` (and at most ``window`` of them).
    """
    n, m = forecasts.shape
    grid = simplex_grid(m, step)  # (g, m)
    usable = np.isfinite(realized) & (realized > 0) & np.isfinite(forecasts).all(axis=1) & (forecasts > 0).all(axis=1)
    losses = np.zeros((n, len(grid)))
    if usable.any():
        f = forecasts[usable] @ grid.T  # (u, g)
        y = realized[usable][:, None]
        losses[usable] = y / f - np.log(y / f) - 1.0
    # cumulative sums with a leading zero row: rows [a, b) sum to c[b] - c[a]
    c_loss = np.vstack([np.zeros(len(grid)), np.cumsum(losses, axis=0)])
    c_count = np.concatenate([[0], np.cumsum(usable)])
    out = np.full((n, m), 1.0 / m)
    for i in range(n):
        b = i - horizon + 1  # rows < b have known targets at row i's origin
        if b <= 0:
            continue
        a = max(0, b - window)
        count = c_count[b] - c_count[a]
        if count < min_obs:
            continue
        mean = (c_loss[b] - c_loss[a]) / count
        out[i] = grid[int(np.argmin(mean))]
    return out


@dataclass(frozen=True)
class Combination:
    """A combination of variance forecasters of one run, scored like a model of its own.

    Parameters
    ----------
    members : tuple of str
        Names of the run's variance forecasters combined (same horizon), at least two.
    weights : {"rolling", "equal"}, default "rolling"
        Weights fitted on a rolling past window (see the module docstring), or fixed equal ones.
    window : int, default 500
        Dates of the rolling window (rolling weights).
    min_obs : int, default 250
        Fewest past dates with known targets before the weights are fitted; equal weights until then.
    step : float, default 0.05
        The weight grid's step; ``1 / step`` a whole number.

    Chosen on 2002-2007 validation (``benchmarks/accuracy.py``): a window of 500
    days, the GRU and the daily log-HAR-X combined.
    """

    members: tuple[str, ...]
    weights: CombinationWeights = "rolling"
    window: int = 500
    min_obs: int = 250
    step: float = 0.05
    #: Filled in by :meth:`bind` from the members: what the combination forecasts.
    horizon: int = 1
    variance_of: str = "target"

    target = "variance"
    #: Nothing to fit per fold: cheaper than any model (the report's "cheap" rule reads it).
    relative_cost = 0.0

    def __post_init__(self) -> None:
        who = "Combination"
        if isinstance(self.members, str) or len(self.members) < 2 or len(set(self.members)) != len(self.members):
            raise ParameterError(
                f"{who}: members must name two or more different forecasters; got {self.members!r}. Hint: "
                "members = ['gru', 'logharx_daily']."
            )
        check_choice(who, "weights", self.weights, ("rolling", "equal"))
        check_int(who, "window", self.window, 20)
        check_int(who, "min_obs", self.min_obs, 1)
        check_number(
            who,
            "step",
            self.step,
            lambda v: 0 < v <= 0.5 and abs(1 / v - round(1 / v)) < 1e-9,
            "1/k for a whole k >= 2, such as 0.05, 0.1 or 0.25",
        )
        if len(self.members) > 4 and self.weights == "rolling" and round(1 / self.step) > 10:
            raise ParameterError(
                f"{who}: {len(self.members)} members on a grid of step {self.step} is too many points; give "
                "step = 0.1 or fewer members."
            )

    @property
    def name(self) -> str:
        """A label: the members joined."""
        return "+".join(self.members)

    def n_parameters(self) -> int:
        """Weights fitted per date (0 for equal weights)."""
        return len(self.members) - 1 if self.weights == "rolling" else 0

    def bind(self, models: Mapping[str, object]) -> Combination:
        """The combination with the horizon and ``variance_of`` of its members, which must
        be variance forecasters of ``models`` with one horizon.
        """
        missing = [m for m in self.members if m not in models]
        if missing:
            raise ParameterError(
                f"Combination: member {missing[0]!r} is not a forecaster of this run; the forecasters are "
                f"{', '.join(models)}."
            )
        what = {m: (getattr(models[m], "target", None), getattr(models[m], "horizon", None)) for m in self.members}
        kinds = set(what.values())
        if len(kinds) != 1 or next(iter(kinds))[0] != "variance":
            raise ParameterError(
                f"Combination: members must be variance forecasters of one horizon; got (target, horizon) {what}."
            )
        of = {getattr(models[m], "variance_of", "target") for m in self.members}
        return type(self)(
            members=tuple(self.members),
            weights=self.weights,
            window=self.window,
            min_obs=self.min_obs,
            step=self.step,
            horizon=int(next(iter(kinds))[1] or 1),
            variance_of=of.pop() if len(of) == 1 else "mixed",
        )

    def combine(self, forecasts: pd.DataFrame, realized: pd.Series) -> tuple[pd.Series, pd.DataFrame]:
        """The combined forecast and the weights per date.

        Parameters
        ----------
        forecasts : DataFrame, the members' out-of-sample forecasts by target date (columns ``members``)
        realized : Series, the realised target of each date (NaN where unknown)

        Returns
        -------
        (Series, DataFrame): the combination, and the weights (one column per member).
        """
        F = forecasts[list(self.members)].to_numpy(dtype=float)
        if self.weights == "equal":
            W = np.full(F.shape, 1.0 / F.shape[1])
        else:
            y = realized.reindex(forecasts.index).to_numpy(dtype=float)
            W = rolling_weights(F, y, horizon=self.horizon, window=self.window, min_obs=self.min_obs, step=self.step)
        values = (W * F).sum(axis=1)
        values[~np.isfinite(F).all(axis=1)] = np.nan
        weights = pd.DataFrame(W, index=forecasts.index, columns=list(self.members))
        return pd.Series(values, index=forecasts.index), weights


def combine_all(
    combinations: Mapping[str, Combination], forecasts: pd.DataFrame, realized: Mapping[int, pd.Series]
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every combination of one symbol's forecasts: the columns and their weights, by name.

    ``realized`` holds the realised variance target by horizon.
    """
    cols, weights = {}, {}
    for name, c in combinations.items():
        cols[name], weights[name] = c.combine(forecasts, realized[c.horizon])
    return pd.DataFrame(cols, index=forecasts.index), weights


def members_of(combinations: Mapping[str, Combination]) -> Sequence[str]:
    """Every forecaster some combination reads."""
    return list(dict.fromkeys(m for c in combinations.values() for m in c.members))
