r"""HAR and log-HAR realized-variance forecasters (Corsi, 2009).

.. math::

    RV^{(h)}_{s+1} = \beta_0 + \sum_{k \in \text{lags}} \beta_k RV^{(k)}_s + u_{s+1},
    \qquad RV^{(k)}_s = \frac1k \sum_{j=0}^{k-1} RV_{s-j}

where :math:`RV^{(h)}_{s+1}` is the mean realized variance over the next
:math:`h` days. Fitted by ordinary least squares. The log form regresses
:math:`\ln RV^{(h)}` on :math:`\ln RV^{(k)}`; since
:math:`E[RV] \ne \exp E[\ln RV]`, its forecasts are multiplied by Duan's (1983)
smearing factor :math:`\frac1n\sum_i e^{\hat u_i}`, which corrects the
retransformation bias without assuming normal residuals.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import check_bool, check_sizes
from core.errors import DataWarning, ParameterError
from signals import realized
from signals.base import BaseForecaster

#: Share of the median positive training rv below which a log-HAR raises values (see ``floor_``).
_FLOOR_FRACTION = 0.01

__all__ = ["HarForecaster", "har_design"]


def har_design(rv: np.ndarray, lags: Sequence[int], log: bool, floor: float) -> np.ndarray:
    """Regressors per row: a constant and the trailing ``k``-day means of ``rv``
    (logs of them, with ``rv`` floored at ``floor``, when ``log``); shape (n, 1 + len(lags)).
    """
    x = np.maximum(rv, floor) if log else rv
    cols = [realized.rolling_mean(x, k) for k in lags]
    if log:
        cols = [np.log(c) for c in cols]
    return np.column_stack([np.ones_like(rv)] + cols)


class HarForecaster(BaseForecaster):
    """HAR regression on the realized-variance column ``rv``.

    Parameters
    ----------
    lags : tuple of int, default (1, 5, 22)
        Averaging horizons (day, week, month).
    log : bool, default False
        Log-HAR with Duan's smearing correction.
    horizon : int, default 1

    Attributes
    ----------
    coef_ : Series
        ``const`` and one coefficient per lag (``har_1``, ``har_5``, ...).
    smearing_ : float
        Retransformation factor (1.0 unless ``log``).
    floor_ : float
        The floor of ``rv``: the larger of the smallest positive training value
        and ``1 %`` of the median positive one. Before taking logs, values below
        it (zeros included: a zero variance has no logarithm) are raised to it,
        and linear forecasts below it are raised to it. Raising zeros only to the
        smallest positive value is not robust: prices quoted to a few decimals
        give many zero-range days and tiny positive ones, their logs become huge
        outliers, and Duan's factor explodes (3,935 seen on a real stock, with
        forecasts averaging 940 % annual volatility). A :class:`DataWarning`
        names the symbol and the count whenever a log fit raises values.
    n_floored_ : int
        Training values of ``rv`` (and of the target) raised to ``floor_``.
    """

    @override
    def n_parameters(self) -> int:
        return len(self.coef_)

    def __init__(self, *, lags: tuple[int, ...] = (1, 5, 22), log: bool = False, horizon: int = 1) -> None:
        self.lags = lags
        self.log = log
        self.horizon = horizon

    @property
    @override
    def name(self) -> str:
        return "loghar" if self.log else "har"

    def _check_params(self) -> None:
        check_sizes("HarForecaster", "lags", self.lags, unique=True, hint="(1, 5, 22).")
        check_bool("HarForecaster", "log", self.log)

    def _columns(self) -> list[str]:
        return ["rv"]

    def _design(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Regressors per row of ``frame`` (with ``floor_`` set) and their names; subclasses add terms."""
        X = har_design(frame["rv"].to_numpy(dtype=float), self.lags, self.log, self.floor_)
        return X, ["const"] + [f"har_{k}" for k in self.lags]

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: BaseForecaster | None = None) -> None:
        rv = frame["rv"].to_numpy(dtype=float)
        positive = rv[np.isfinite(rv) & (rv > 0)]
        if positive.size == 0:
            raise ParameterError(f"{type(self).__name__}: the training rv has no positive value; nothing to fit.")
        self.floor_ = max(float(positive.min()), _FLOOR_FRACTION * float(np.median(positive)))
        if self.log:
            self._warn_floored(frame, rv)
        X, names = self._design(frame)
        target = y.to_numpy(dtype=float)
        if self.log:
            target = np.log(np.maximum(target, self.floor_))
        ok = np.isfinite(X).all(axis=1) & np.isfinite(target)
        n_coef = X.shape[1]
        if ok.sum() < 2 * n_coef:
            raise ParameterError(
                f"{type(self).__name__}: only {int(ok.sum())} usable training rows for {n_coef} coefficients "
                f"(lags={tuple(self.lags)}, horizon={self.horizon}). Hint: a longer training window."
            )
        beta, *_ = np.linalg.lstsq(X[ok], target[ok], rcond=None)
        resid = target[ok] - X[ok] @ beta
        self.coef_ = pd.Series(beta, index=names)
        self.smearing_ = float(np.mean(np.exp(resid))) if self.log else 1.0
        self.resid_std_ = float(resid.std(ddof=n_coef))

    def _warn_floored(self, frame: pd.DataFrame, rv: np.ndarray) -> None:
        finite = rv[np.isfinite(rv)]
        self.n_floored_ = int((finite < self.floor_).sum())
        if self.n_floored_:
            zeros = int((finite <= 0).sum())
            symbol = ", ".join(map(str, frame.attrs.get("symbols", []))) or "the series"
            warnings.warn(
                f"HarForecaster(log=True) on {symbol}: {self.n_floored_} of {finite.size} training rv values "
                f"({zeros} of them zero or negative) lie below the floor {self.floor_:.3g} (1 % of the median "
                "positive rv) and were raised to it before taking logs. Hint: many zero-range days come from coarse "
                "price ticks; a close-to-close or overnight-inclusive target ([features] estimator) has fewer.",
                DataWarning,
                stacklevel=4,
            )

    def diagnostics(self) -> dict[str, float]:
        """Duan's smearing factor and the number of floored training values (see
        ``floor_``), for the log form.
        """
        if not self.log:  # a level HAR has no retransformation to correct
            return {}
        return {"smearing": self.smearing_, "floored": float(getattr(self, "n_floored_", 0))}

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        X, _ = self._design(frame)
        fit = X[origins] @ self.coef_.to_numpy()
        # A linear HAR can extrapolate below zero; a variance cannot be, so the
        # floor applies (rarely: after extreme drops in rv).
        return np.exp(fit) * self.smearing_ if self.log else np.maximum(fit, self.floor_)
