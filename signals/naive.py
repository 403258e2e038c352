r"""Naive baselines that any forecaster has to beat.

Variance: a rolling (or the unconditional, training-sample) mean and the
RiskMetrics EWMA. Returns: zero and a rolling mean. All forecasts made at the
close of origin :math:`s` use rows up to :math:`s` only; for horizons
:math:`h > 1` the variance forecasts are flat (the same daily variance for each
day) and the return forecasts add up :math:`h` daily means.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import UNSET, check_choice, check_int, check_number
from signals import realized
from signals.base import BaseForecaster, Target, VarianceOf

__all__ = [
    "EwmaForecaster",
    "HistoricalMeanForecaster",
    "RollingMeanForecaster",
    "RollingVarianceForecaster",
    "ZeroForecaster",
    "expanding_mean",
    "historical_mean",
]

Source = Literal["return", "rv"]


class _SmoothedVariance(BaseForecaster):
    """Variance forecasters that smooth one series: squared returns or ``rv`` (``source``)."""

    source: Source = "return"

    @property
    def variance_of(self) -> VarianceOf:  # type: ignore[override]
        return "returns" if self.source == "return" else "target"

    def _check_params(self) -> None:
        check_choice(type(self).__name__, "source", self.source, ("return", "rv"))

    def _columns(self) -> list[str]:
        return ["return" if self.source == "return" else "rv"]

    def _input(self, frame: pd.DataFrame) -> np.ndarray:
        """Squared returns or the realized variance column, as the series to smooth."""
        x = frame[self._columns()[0]].to_numpy(dtype=float)
        return x**2 if self.source == "return" else x


@dataclass(kw_only=True, eq=False, repr=False)
class ZeroForecaster(BaseForecaster):
    """Forecasts a zero return: the random-walk benchmark for return models."""

    supported_targets = ("return", "price")

    target: Target = "return"
    horizon: int = 1

    def _columns(self) -> list[str]:
        return ["return"]

    def _fit(self, frame, y, warm_start=None) -> None:
        pass

    def _forecast(self, frame, origins):
        return np.zeros(len(origins))


@dataclass(kw_only=True, eq=False, repr=False)
class RollingMeanForecaster(BaseForecaster):
    r"""Mean daily return over the last ``length`` days, times the horizon.

    .. math:: \hat r_{s+1:s+h} = h \cdot \frac1w \sum_{j=0}^{w-1} r_{s-j}

    Parameters
    ----------
    length : int, default 252
        Rows averaged (``window`` is the deprecated spelling: ``window`` now means
        only the walk-forward training window, "expanding" or "rolling").
    target : {"return", "price"}, default "return"
    horizon : int, default 1
    """

    supported_targets = ("return", "price")

    _renamed: ClassVar[dict[str, str]] = {"window": "length"}

    length: int = 252
    target: Target = "return"
    horizon: int = 1
    window: InitVar[Any] = UNSET

    def __post_init__(self, window: Any) -> None:
        self.length = self._rename("window", window, "length", self.length)

    def _check_params(self) -> None:
        check_int(type(self).__name__, self._spelling("length"), self.length, 1)

    def _columns(self) -> list[str]:
        return ["return"]

    def _fit(self, frame, y, warm_start=None) -> None:
        pass

    def _forecast(self, frame, origins):
        means = realized.rolling_mean(frame["return"].to_numpy(dtype=float), self.length)
        return self.horizon * means[origins]


def expanding_mean(x: np.ndarray) -> np.ndarray:
    """Mean of every finite value up to and including each position (NaN before the first)."""
    ok = np.isfinite(x)
    counts = np.cumsum(ok)
    sums = np.cumsum(np.where(ok, x, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def historical_mean(returns: np.ndarray, horizon: int, absolute: bool = False) -> np.ndarray:
    """Per row: the expanding mean return up to it times ``horizon``, or with
    ``absolute`` the expanding mean of the absolute ``horizon``-day returns that
    ended on or before it.
    """
    if not absolute:
        return horizon * expanding_mean(returns)
    sums = pd.Series(returns).rolling(horizon, min_periods=horizon).sum().abs().to_numpy()
    return expanding_mean(sums)


@dataclass(kw_only=True, eq=False, repr=False)
class HistoricalMeanForecaster(BaseForecaster):
    r"""The expanding historical mean return, times the horizon: the benchmark of
    Campbell and Thompson (2008) and Goyal and Welch (2008).

    .. math:: \hat r_{s+1:s+h} = h \cdot \frac{1}{s+1} \sum_{j=0}^{s} r_j

    over every row of the frame up to the origin :math:`s` (the whole history
    known then, not only the training rows). For ``target="absolute_return"``
    the mean of the absolute :math:`h`-day returns that ended by the origin.

    Parameters
    ----------
    target : {"return", "price", "absolute_return"}, default "return"
    horizon : int, default 1
    """

    supported_targets = ("return", "price", "absolute_return")

    target: Target = "return"
    horizon: int = 1

    @property
    @override
    def name(self) -> str:
        return "historical_mean"

    def _columns(self) -> list[str]:
        return ["return"]

    def _fit(self, frame, y, warm_start=None) -> None:
        pass

    def _forecast(self, frame, origins):
        returns = frame["return"].to_numpy(dtype=float)
        return historical_mean(returns, self.horizon, absolute=self.target == "absolute_return")[origins]


@dataclass(kw_only=True, eq=False, repr=False)
class RollingVarianceForecaster(_SmoothedVariance):
    r"""Historical variance: the mean of squared returns (or ``rv``) over a window.

    .. math:: \hat\sigma^2_{s+1} = \frac1w \sum_{j=0}^{w-1} x_{s-j}

    With ``length=None`` the forecast is the training-sample mean, a constant:
    the *unconditional variance* benchmark.

    Parameters
    ----------
    length : int or None, default 252
        Rows averaged (``window`` is the deprecated spelling).
    source : {"return", "rv"}, default "return"
        Average squared log returns, or the realized-variance column ``rv``.
    horizon : int, default 1
    """

    _renamed: ClassVar[dict[str, str]] = {"window": "length"}

    length: int | None = 252
    source: Source = "return"
    horizon: int = 1
    window: InitVar[Any] = UNSET

    def __post_init__(self, window: Any) -> None:
        self.length = self._rename("window", window, "length", self.length)

    @property
    @override
    def name(self) -> str:
        return "unconditional" if self.length is None else f"rolling{self.length}"

    def _check_params(self) -> None:
        check_int(type(self).__name__, self._spelling("length"), self.length, 1, allow_none=True)
        super()._check_params()

    def _fit(self, frame, y, warm_start=None) -> None:
        self.mean_ = float(np.nanmean(self._input(frame)))

    def _forecast(self, frame, origins):
        if self.length is None:
            return np.full(len(origins), self.mean_)
        return realized.rolling_mean(self._input(frame), self.length)[origins]


@dataclass(kw_only=True, eq=False, repr=False)
class EwmaForecaster(_SmoothedVariance):
    r"""RiskMetrics exponentially weighted variance.

    .. math:: \hat\sigma^2_{s+1} = \lambda \hat\sigma^2_s + (1 - \lambda) x_s

    with :math:`x_s = r_s^2` (or ``rv``). The recursion starts from the mean of
    :math:`x` over the training rows (``init_``); forecasts are flat across the
    horizon, as in RiskMetrics.

    Parameters
    ----------
    lam : float, default 0.94
        Decay, in (0, 1): RiskMetrics' daily value.
    source : {"return", "rv"}, default "return"
    horizon : int, default 1
    """

    lam: float = 0.94
    source: Source = "return"
    horizon: int = 1

    def _check_params(self) -> None:
        check_number(
            "EwmaForecaster",
            "lam",
            self.lam,
            lambda v: 0 < v < 1,
            "a number in (0, 1)",
            hint="RiskMetrics uses 0.94 for daily data.",
        )
        super()._check_params()

    def _fit(self, frame, y, warm_start=None) -> None:
        self.init_ = float(np.nanmean(self._input(frame)))

    def _forecast(self, frame, origins):
        x = self._input(frame)
        out = np.full(x.shape, np.nan)
        valid = np.flatnonzero(np.isfinite(x))
        if valid.size:
            start = valid[0]
            from scipy.signal import lfilter  # here: importing scipy.signal costs every process 0.6 s

            # y_s = lam * y_{s-1} + (1 - lam) * x_s, with y_{start-1} = init_
            out[start:] = lfilter([1 - self.lam], [1.0, -self.lam], x[start:], zi=[self.lam * self.init_])[0]
        return out[origins]
