r"""HAR and log-HAR realized-variance forecasters (Corsi, 2009).

.. math::

    RV^{(h)}_{s+1} = \beta_0 + \sum_{k \in \text{lags}} \beta_k RV^{(k)}_s + u_{s+1},
    \qquad RV^{(k)}_s = \frac1k \sum_{j=0}^{k-1} RV_{s-j}

where :math:`RV^{(h)}_{s+1}` is the mean realized variance over the next
:math:`h` days. Fitted by ordinary least squares. The log form regresses
:math:`\ln RV^{(h)}` on :math:`\ln RV^{(k)}`; since
:math:`E[RV] \ne \exp E[\ln RV]`, its forecasts :math:`e^{x_s^\top\hat\beta}`
are multiplied by a retransformation factor :math:`c` fitted on the training
rows (``retransform``):

* ``"ratio"`` (the default): :math:`c = \sum_i y_i / \sum_i e^{x_i^\top\hat\beta}`,
  so that the mean forecast equals the mean target on the training rows. Under
  the model :math:`y = e^{x^\top\beta}\varepsilon` with :math:`\varepsilon`
  independent of :math:`x` it estimates :math:`E[\varepsilon]`, like Duan's
  factor, but each row weighs by its fitted level, so a few rows whose fitted
  level is tiny (after zero-range or unchanged-price days) cannot blow it up;
* ``"duan"``: Duan's (1983) smearing factor :math:`\frac1n\sum_i e^{\hat u_i}`,
  the mean of the exponentiated log residuals.

On well-behaved data the two agree (``smearing_spread_``, their ratio, is near
1); a spread far above 1 says that Duan's factor is driven by outliers
(``smearing_`` is the factor in use). A close-to-close target has a factor of
about 3.6 (the mean of a :math:`\chi^2_1` over its geometric mean) and a range
estimator's about 1.1-1.5: large factors alone are no fault.

Refit on many windows (a daily schedule), :meth:`HarForecaster.refit_forecasts`
fits every window from one design matrix instead of rebuilding it per window;
its forecasts are those of fitting each window by hand, bit for bit.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import check_bool, check_choice, check_sizes
from core.errors import DataWarning, ParameterError
from core.frameinfo import frame_info
from signals import realized
from signals.base import BaseForecaster, Refit, _require, warning_lines

#: Share of the median positive training rv below which a log-HAR raises values (see ``floor_``).
_FLOOR_FRACTION = 0.01

__all__ = ["HarForecaster", "OlsFit", "Retransform", "har_design", "ols_fit", "training_floor"]

Retransform = Literal["ratio", "duan"]


def har_design(rv: np.ndarray, lags: Sequence[int], log: bool, floor: float) -> np.ndarray:
    """Regressors per row: a constant and the trailing ``k``-day means of ``rv``
    (logs of them, with ``rv`` floored at ``floor``, when ``log``); shape (n, 1 + len(lags)).
    """
    x = np.maximum(rv, floor) if log else rv
    cols = [realized.rolling_mean(x, k) for k in lags]
    if log:
        cols = [np.log(c) for c in cols]
    return np.column_stack([np.ones_like(rv)] + cols)


def training_floor(rv: np.ndarray, who: str = "HarForecaster") -> float:
    """The floor of a training window's ``rv``: the larger of its smallest positive
    value and ``1 %`` of its median positive value (see ``HarForecaster.floor_``).
    """
    positive = rv[np.isfinite(rv) & (rv > 0)]
    if positive.size == 0:
        raise ParameterError(f"{who}: the training rv has no positive value; nothing to fit.")
    return max(float(positive.min()), _FLOOR_FRACTION * float(np.median(positive)))


@dataclasses.dataclass(frozen=True)
class OlsFit:
    """A least-squares fit of a (log) HAR regression.

    Attributes
    ----------
    beta : ndarray (p,), the coefficients
    smearing : float, the retransformation factor in use (1 for levels)
    spread : float, Duan's factor over the ratio factor (NaN for levels)
    resid_std : float, the residuals' standard deviation (ddof = p)
    n_used : int, rows used
    target_range : (float, float), the smallest (at least the floor) and largest finite training target
    """

    beta: np.ndarray
    smearing: float
    spread: float
    resid_std: float
    n_used: int
    target_range: tuple[float, float]


def ols_fit(
    X: np.ndarray, target: np.ndarray, log: bool, retransform: Retransform
) -> tuple[np.ndarray, float, float, float]:
    """Least squares of ``target`` (n,) on ``X`` (n, p), rows all finite.

    Returns ``(beta, smearing, spread, resid_std)``: the coefficients (p,), the
    retransformation factor in use (1 for levels), Duan's factor over the ratio
    factor (NaN for levels) and the residuals' standard deviation.
    """
    beta, *_ = np.linalg.lstsq(X, target, rcond=None)
    fitted = X @ beta
    resid = target - fitted
    resid_std = float(resid.std(ddof=X.shape[1]))
    if not log:
        return beta, 1.0, float("nan"), resid_std
    duan = float(np.mean(np.exp(resid)))
    ratio = float(np.sum(np.exp(target)) / np.sum(np.exp(fitted)))
    return beta, duan if retransform == "duan" else ratio, duan / ratio, resid_std


@dataclass(kw_only=True, eq=False, repr=False)
class HarForecaster(BaseForecaster):
    """HAR regression on the realized-variance column ``rv``.

    Parameters
    ----------
    lags : tuple of int, default (1, 5, 22)
        Averaging horizons (day, week, month).
    log : bool, default False
        Log-HAR, retransformed by ``retransform``.
    retransform : {"ratio", "duan"}, default "ratio"
        The log form's retransformation factor (see the module docstring):
        the ratio of the mean training target to the mean fitted level, or
        Duan's smearing factor. Chosen on 2004-2007 validation
        (``benchmarks/accuracy.py``).
    horizon : int, default 1

    Attributes
    ----------
    coef_ : Series
        ``const`` and one coefficient per lag (``har_1``, ``har_5``, ...).
    smearing_ : float
        Retransformation factor in use (1.0 unless ``log``).
    smearing_spread_ : float
        Duan's factor over the ratio factor (log form; NaN for levels): near 1
        on well-behaved data, far above it when a few outliers drive Duan's.
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
        Training values of ``rv`` raised to ``floor_``.
    n_used_ : int
        Training rows the regression used (regressors and target all finite).
    """

    supports_bulk_refits = True

    @override
    def n_parameters(self) -> int:
        return len(self.coef_)

    lags: tuple[int, ...] = (1, 5, 22)
    log: bool = False
    retransform: Retransform = "ratio"
    horizon: int = 1

    @property
    @override
    def name(self) -> str:
        return "loghar" if self.log else "har"

    def _check_params(self) -> None:
        check_sizes(type(self).__name__, "lags", self.lags, unique=True, hint="(1, 5, 22).")
        check_bool(type(self).__name__, "log", self.log)
        check_choice(type(self).__name__, "retransform", self.retransform, ("ratio", "duan"))

    def _columns(self) -> list[str]:
        return ["rv"]

    def _design(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """Regressors per row of ``frame`` (with ``floor_`` set) and their names; subclasses add terms."""
        X = har_design(frame["rv"].to_numpy(dtype=float), self.lags, self.log, self.floor_)
        return X, ["const"] + [f"har_{k}" for k in self.lags]

    def _warmup(self) -> int:
        """Leading rows of a window whose regressors are incomplete (the longest average's)."""
        return max(self.lags) - 1

    # -- fit ----------------------------------------------------------------------------

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: BaseForecaster | None = None) -> None:
        rv = frame["rv"].to_numpy(dtype=float)
        self.floor_ = training_floor(rv, type(self).__name__)
        if self.log:
            self._warn_floored(frame, rv)
        X, names = self._design(frame)
        self._solve(X, y.to_numpy(dtype=float), names)

    def _solve(self, X: np.ndarray, y: np.ndarray, names: list[str]) -> None:
        """Least squares of the target ``y`` (levels, per row of ``X``) on ``X``; sets the fitted state."""
        fit = self._regress(X, y)
        self.coef_ = pd.Series(fit.beta, index=names)
        self.smearing_ = fit.smearing
        self.smearing_spread_ = fit.spread
        self.resid_std_ = fit.resid_std
        self.n_used_ = fit.n_used
        self.target_range_ = fit.target_range

    def _regress(self, X: np.ndarray, y: np.ndarray) -> OlsFit:
        """:func:`ols_fit` on the usable rows (with ``floor_`` set)."""
        target = np.log(np.maximum(y, self.floor_)) if self.log else y
        ok = np.isfinite(X).all(axis=1) & np.isfinite(target)
        n_coef = X.shape[1]
        if ok.sum() < 2 * n_coef:
            raise ParameterError(
                f"{type(self).__name__}: only {int(ok.sum())} usable training rows for {n_coef} coefficients "
                f"(lags={tuple(self.lags)}, horizon={self.horizon}). Hint: a longer training window."
            )
        beta, smearing, spread, resid_std = ols_fit(X[ok], target[ok], self.log, self.retransform)
        finite = y[np.isfinite(y)]
        return OlsFit(
            beta,
            smearing,
            spread,
            resid_std,
            int(ok.sum()),
            (float(max(finite.min(), self.floor_)), float(finite.max())),
        )

    def _diagnostics(self, fit: OlsFit, floored: int) -> dict[str, float]:
        used = {"rows_used": float(fit.n_used)}
        if not self.log:  # a level HAR has no retransformation to correct
            return used
        return {"smearing": fit.smearing, "smearing_spread": fit.spread, "floored": float(floored), **used}

    def _warn_floored(self, frame: pd.DataFrame, rv: np.ndarray) -> None:
        finite = rv[np.isfinite(rv)]
        self.n_floored_ = int((finite < self.floor_).sum())
        if self.n_floored_:
            zeros = int((finite <= 0).sum())
            symbol = ", ".join(frame_info(frame).symbols) or "the series"
            warnings.warn(
                f"HarForecaster(log=True) on {symbol}: {self.n_floored_} of {finite.size} training rv values "
                f"({zeros} of them zero or negative) lie below the floor {self.floor_:.3g} (1 % of the median "
                "positive rv) and were raised to it before taking logs. Hint: many zero-range days come from coarse "
                "price ticks; a close-to-close or overnight-inclusive target ([features] estimator) has fewer.",
                DataWarning,
                stacklevel=4,
            )

    def diagnostics(self) -> dict[str, float]:
        """The retransformation factor in use, its spread (Duan's over the ratio factor)
        and the number of floored training values (see ``floor_``), for the log form;
        the training rows the regression used.
        """
        fit = OlsFit(
            self.coef_.to_numpy(),
            self.smearing_,
            self.smearing_spread_,
            self.resid_std_,
            self.n_used_,
            self.target_range_,
        )
        return self._diagnostics(fit, getattr(self, "n_floored_", 0))

    # -- forecast -----------------------------------------------------------------------

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        X, _ = self._design(frame)
        return self._finish(X[origins] @ self.coef_.to_numpy())

    def _level(self, fit: np.ndarray) -> np.ndarray:
        """Forecasts from the fitted linear predictor: retransformed (log form) or floored
        (a linear HAR can extrapolate below zero; a variance cannot be, so the floor
        applies, rarely: after extreme drops in rv).
        """
        return np.exp(fit) * self.smearing_ if self.log else np.maximum(fit, self.floor_)

    # -- many windows at once -------------------------------------------------------------

    @override
    def refit_forecasts(self, frame: pd.DataFrame, folds: Sequence[tuple[slice, slice]]) -> list[Refit]:
        """Fit each training window and forecast its test rows, from one design per floor.

        The design matrix of a window depends on the window only through its floor
        (``floor_``) and its first ``max(lags) - 1`` rows (incomplete averages):
        windows that share a floor share the design of the rows they span, so it
        is built once per distinct floor (once in all on most data), not once per
        window. Every number equals ``clone().fit(frame.iloc[train])`` followed by
        ``predict(frame.iloc[train.start:test.stop], frame.index[test])``, bit for
        bit (``tests/signals/test_har.py``).
        """
        if not self._bulk_safe():
            return super().refit_forecasts(frame, folds)
        self.validate_params()
        _require(frame, self._needed(), type(self).__name__)
        t0 = time.perf_counter()
        rv = frame["rv"].to_numpy(dtype=float)
        y = self._model_target(frame).to_numpy(dtype=float)
        h, warm = self.horizon, self._warmup()
        floors = [training_floor(rv[train], type(self).__name__) for train, _ in folds]
        out: list[Refit | None] = [None] * len(folds)
        by_floor: dict[float, list[int]] = {}
        for i, f in enumerate(floors):
            by_floor.setdefault(f, []).append(i)
        for floor, members in by_floor.items():
            a = min(folds[i][0].start for i in members)
            b = max(folds[i][1].stop for i in members)
            model = self.clone()
            model.floor_ = floor
            X, _ = model._design(frame.iloc[a:b])
            for i in members:
                train, test = folds[i]
                # the window's own view: no target past its end, no average reaching before its start
                rows = slice(train.start - a, train.stop - a)
                Xw = X[rows].copy()
                Xw[: min(warm, len(Xw))] = np.nan
                yw = y[train].copy()
                yw[max(len(yw) - h, 0) :] = np.nan
                floored = 0
                # the warnings a fit on the window would raise, in its words
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", UserWarning)
                    if model.log:
                        finite = rv[train][np.isfinite(rv[train])]
                        floored = int((finite < floor).sum())
                        if floored:
                            model._warn_floored(frame.iloc[train], rv[train])
                    fit = model._regress(Xw, yw)
                said = warning_lines(caught)
                model.smearing_, model.target_range_ = fit.smearing, fit.target_range
                origins = np.arange(test.start, test.stop) - 1 - a
                out[i] = Refit(
                    forecast=model._finish(X[origins] @ fit.beta),
                    n_train=int(np.isfinite(yw).sum()),
                    diagnostics=model._diagnostics(fit, floored),
                    warnings=said,
                    parameters=len(fit.beta),
                )
        seconds = (time.perf_counter() - t0) / max(len(folds), 1)
        return [dataclasses.replace(r, fit_seconds=seconds) for r in out if r is not None]

    def _finish(self, fit: np.ndarray) -> np.ndarray:
        """Forecasts from the linear predictor at the origins (subclasses clip them)."""
        return self._level(fit)

    def _bulk_safe(self) -> bool:
        """Whether the bulk path computes what ``fit`` and ``predict`` would: a subclass
        that changes how they work (its own ``_fit`` or ``_forecast``) gets the loop.
        """
        cls = type(self)
        return all(getattr(cls, n) is getattr(HarForecaster, n) for n in ("fit", "_fit", "_forecast", "predict"))
