r"""The forecaster contract, and what every forecaster shares.

A forecaster follows the scikit-learn estimator contract: explicit keyword
hyperparameters stored as given, validation in :meth:`~BaseForecaster.fit`,
``fit`` returns ``self``, learned state in trailing-underscore attributes.

Frames and dates
----------------
``frame`` is a feature frame (:func:`signals.features.feature_frame`): one row
per trading date, the values in row ``s`` known at the close of ``s``.

``predict(frame, index)`` returns one forecast per date ``t`` in ``index``,
**labelled by the date it forecasts**, made at the close of the *origin*: the
last row of ``frame`` strictly before ``t``. So it uses only rows before ``t``,
and ``t`` may lie beyond the frame's last row (tomorrow's forecast).

Targets
-------
With horizon :math:`h`, the forecast labelled :math:`t` is for the days
:math:`t, \dots, t+h-1` (the next :math:`h` rows after the origin :math:`s`):

* ``"variance"``: the mean daily realized variance
  :math:`\frac1h \sum_{j=1}^{h} RV_{s+j}` (the ``rv`` column);
* ``"return"``: the :math:`h`-day log return :math:`\sum_{j=1}^{h} r_{s+j}`;
* ``"absolute_return"``: the absolute :math:`h`-day log return
  :math:`|\sum_{j=1}^{h} r_{s+j}|`, a volatility measure in return units;
* ``"price"``: the close :math:`C_{s+h} = C_s \exp(\hat r)`, from a return
  forecast :math:`\hat r`. Price levels are dominated by persistence and flatter
  any model; judge it by its return metrics (see :func:`realized_target`).
"""

from __future__ import annotations

import abc
import copy
import dataclasses
import inspect
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Protocol, Self, cast, get_args, runtime_checkable

import numpy as np
import pandas as pd

from core.checks import UNSET, check_int, renamed
from core.errors import DataError, ParameterError, TradecastError
from signals import realized

__all__ = [
    "TARGETS",
    "BaseForecaster",
    "Forecaster",
    "NotFittedError",
    "ParameterError",
    "Refit",
    "Target",
    "VarianceOf",
    "implied_return",
    "last_close",
    "origins_for",
    "realized_target",
    "warning_lines",
]

Target = Literal["variance", "return", "price", "absolute_return"]
TARGETS: tuple[str, ...] = get_args(Target)
#: What a variance forecast is a forecast of (see ``BaseForecaster.variance_of``).
VarianceOf = Literal["target", "returns", "mixed"]


class NotFittedError(TradecastError, RuntimeError):
    """``predict`` before ``fit``."""


@dataclasses.dataclass(frozen=True)
class Refit:
    """One window of :meth:`BaseForecaster.refit_forecasts`: what fitting it gave.

    Attributes
    ----------
    forecast : ndarray, one forecast per test row of the window
    n_train : int, training targets used (``n_train_``)
    diagnostics : dict, ``diagnostics()`` after the fit
    warnings : tuple of str, ``"Category: message"`` of each warning the fit raised
    parameters : int, ``n_parameters()`` after the fit
    fit_seconds : float, the window's share of the time taken
    """

    forecast: np.ndarray
    n_train: int
    diagnostics: dict[str, float]
    warnings: tuple[str, ...] = ()
    parameters: int = 0
    fit_seconds: float = 0.0


def warning_lines(caught: Sequence[warnings.WarningMessage]) -> tuple[str, ...]:
    """``"Category: message"`` for each caught warning that a user should see (UserWarning and
    its subclasses): how fits hand their warnings back from worker processes.
    """
    return tuple(f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, UserWarning))


@runtime_checkable
class Forecaster(Protocol):
    """What the walk-forward engine needs of a forecaster."""

    target: Target
    horizon: int

    def fit(self, frame: pd.DataFrame) -> Self:
        """Learn from ``frame`` (features up to the fold's last training row); return ``self``."""
        ...

    def predict(self, frame: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
        """Forecasts made at the dates of ``index`` from rows of ``frame`` up to each date."""
        ...


def realized_target(frame: pd.DataFrame, target: Target, horizon: int = 1) -> pd.Series:
    r"""The realised value each forecast is judged against, labelled like forecasts.

    Value at row :math:`t` (date :math:`t`): ``variance`` is the mean of ``rv``
    over rows :math:`t .. t+h-1`; ``return`` the sum of ``return`` over them;
    ``absolute_return`` the absolute value of that sum; ``price`` the ``close``
    at row :math:`t+h-1`. NaN where the window runs past the frame.

    Parameters
    ----------
    frame : DataFrame, feature frame with ``rv``, ``return`` (and ``close`` for prices)
    target : {"variance", "return", "price", "absolute_return"}
    horizon : int, default 1
    """
    if target == "absolute_return":
        return realized_target(frame, "return", horizon).abs().rename(f"absolute_return_h{horizon}")
    if target not in TARGETS:
        raise ParameterError(f"target must be one of {', '.join(TARGETS)}; got {target!r}.")
    column = {"variance": "rv", "return": "return", "price": "close"}[target]
    _require(frame, [column], "realized_target")
    x = frame[column]
    if target == "price":
        out = x.shift(-(horizon - 1))
    else:
        # Each window summed on its own (NumPy), not by pandas' running sum: a running sum's
        # rounding depends on where the series starts, and a window's target must not
        # (a window fitted in bulk equals one fitted alone, bit for bit).
        values = x.to_numpy(dtype=float)
        rolled = realized.rolling_sum(values, horizon) if target == "return" else realized.rolling_mean(values, horizon)
        agg = pd.Series(rolled, index=x.index)
        out = agg.shift(-(horizon - 1))
    return out.rename(f"{target}_h{horizon}")


def origins_for(frame_index: pd.DatetimeIndex, index: pd.DatetimeIndex) -> np.ndarray:
    """Row position of each forecast's origin: the last row strictly before each date."""
    return frame_index.searchsorted(index, side="left") - 1


def last_close(frame: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
    """The close at each date's origin (the last close known when forecasting it):
    the random walk's price forecast, and the base of a price forecast's implied return.
    """
    return pd.Series(
        frame["close"].to_numpy(dtype=float)[origins_for(frame.index, pd.DatetimeIndex(index))],
        index=index,
        name="last_close",
    )


def implied_return(frame: pd.DataFrame, price_forecast: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """The log return a price forecast implies: ``log(forecast / last close)``."""
    base = last_close(frame, price_forecast.index)
    return np.log(price_forecast.astype(float).div(base, axis=0))


def _require(frame: pd.DataFrame, columns: list[str], who: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{who}: frame must be a feature DataFrame; got {type(frame).__name__}.")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{who}: frame must be indexed by date (a DatetimeIndex); got {type(frame.index).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{who}: the frame lacks column(s) {', '.join(missing)} (has {', '.join(map(str, frame.columns))}). "
            "Hint: build it with signals.features.feature_frame, which provides return, rv, har_*, volume_ratio and "
            "close."
        )


class BaseForecaster(abc.ABC):
    """Shared machinery: parameters, validation, origin bookkeeping, targets.

    Subclasses are keyword-only dataclasses (``@dataclass(kw_only=True, eq=False,
    repr=False)``) whose fields are their hyperparameters, each with a concrete
    default and kept as given (checks run in ``fit``); fitted state that mypy
    should know of is declared ``field(init=False)``, and a renamed parameter is
    an ``InitVar`` resolved by :meth:`_rename` in ``__post_init__``. They
    implement the abstract methods:

    ``_columns()``
        The frame columns the model reads.
    ``_fit(frame, y, warm_start=None)``
        Learn from ``frame`` (rows up to the last usable origin) and ``y``, the
        model target per origin row (NaN where unknown). Variance models get the
        mean future ``rv``; return and price models the future ``h``-day return.
    ``_forecast(frame, origins)``
        An array with one forecast per origin row position (variance, or
        ``h``-day return for return and price targets), using rows ``<= origin``.
    """

    #: The targets a subclass can forecast.
    supported_targets: tuple[str, ...] = ("variance",)
    #: Whether ``fit(frame, warm_start=previous)`` can start from a fitted model.
    supports_warm_start: bool = False
    #: Whether ``fit_pooled(frames)`` fits one model across several assets.
    supports_pooling: bool = False
    #: Whether :meth:`refit_forecasts` is faster than fitting window by window
    #: (the engine then hands a daily schedule's windows over in bulk).
    supports_bulk_refits: bool = False
    #: Rough fit cost relative to a closed-form regression; the engine starts
    #: expensive fits first so that parallel workers finish together.
    relative_cost: float = 1.0
    #: What a variance forecast measures: the realised-variance target (the
    #: ``rv`` column, whichever estimator built it) or the variance of
    #: close-to-close returns. A range estimator misses the overnight move and
    #: part of the close-to-close variance, so the two differ in level (about
    #: 1.6x on the S&P 500 with Garman-Klass); vol-targeting rescales "target"
    #: forecasts to returns (:func:`strategies.calibration.proxy_scale`).
    variance_of: VarianceOf = "target"
    #: Defaults for subclasses that forecast one target at one horizon.
    target: Target = "variance"
    horizon: int = 1

    # -- fitted state every forecaster has after ``fit`` (the engine reads these) ------
    #: The last date of the training frame (its presence means "fitted").
    fit_end_: pd.Timestamp
    #: Training targets used.
    n_train_: int
    #: Whether the fit started from another fit's state.
    warm_started_: bool
    #: Whether the optimiser converged (None where there is no optimiser).
    converged_: bool | None = None
    #: The best validation epoch of a network (None for other models).
    best_epoch_: int | None = None
    #: Per-epoch training and validation loss of a network (None for other models).
    history_: pd.DataFrame | None = None
    #: Mean attention weight per lag, for attention networks (None otherwise).
    attention_weights_: pd.Series | None = None

    def n_parameters(self) -> int:
        """The fitted parameters a model learned (a network's weights, a regression's
        coefficients): 0 for rules with none, such as EWMA or the zero forecast.
        """
        return 0

    # -- parameters ---------------------------------------------------------------

    #: Renamed hyperparameters, old spelling -> new: ``__init__`` still takes the old
    #: one (with a deprecation warning); ``get_params`` and ``clone`` know only the new.
    _renamed: ClassVar[dict[str, str]] = {}

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind == p.KEYWORD_ONLY and p.name not in cls._renamed
        ]

    @classmethod
    def accepted_names(cls) -> list[str]:
        """Every parameter name ``__init__`` takes: the current ones, then deprecated spellings."""
        return [*cls._param_names(), *cls._renamed]

    def _rename(self, old: str, old_value: Any, new: str, new_value: Any) -> Any:
        """Resolve a renamed parameter in ``__post_init__`` (see :func:`core.checks.renamed`),
        remembering the spelling used so that errors name what the user wrote.
        """
        default = inspect.signature(type(self).__init__).parameters[new].default
        # the warning points at the user's call: renamed <- here <- __post_init__ <- __init__ <- caller
        value = renamed(type(self).__name__, old, old_value, new, new_value, default, stacklevel=5)
        if old_value is not UNSET:
            self._spelled = {**getattr(self, "_spelled", {}), new: old}
        return value

    def _spelling(self, name: str) -> str:
        """The name the user gave ``name`` by (an old spelling, if that was used)."""
        return getattr(self, "_spelled", {}).get(name, name)

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as given to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set hyperparameters by name; unknown names are refused."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ParameterError(f"{type(self).__name__} has no parameter {name!r}; valid: {', '.join(valid)}.")
            setattr(self, name, value)
        return self

    def clone(self) -> Self:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = {k: v for k, v in self.get_params().items() if defaults.get(k, inspect.Parameter.empty) != v}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    @property
    def name(self) -> str:
        """A short label for tables and plots."""
        return type(self).__name__.removesuffix("Forecaster").lower()

    def warm_state(self) -> dict[str, np.ndarray]:
        """The fitted state a warm start reads, as named NumPy arrays (numbers and
        strings only), so that a run folder can keep it without pickle: loading it
        back can never run code. Classes with ``supports_warm_start`` implement it.
        """
        raise ParameterError(f"{type(self).__name__} has no state to warm-start from.")

    def load_warm_state(self, state: Mapping[str, np.ndarray], fit_end: pd.Timestamp) -> Self:
        """Restore what :meth:`warm_state` returned into this (unfitted) forecaster, so
        that it can be passed as ``warm_start``; raises on anything that does not fit.
        """
        raise ParameterError(f"{type(self).__name__} has no state to warm-start from.")

    def diagnostics(self) -> dict[str, float]:
        """Scalar facts about the last fit that a leaderboard should show beside the
        losses (log-HAR's smearing factor, say); none by default.
        """
        return {}

    # -- checks ---------------------------------------------------------------------

    def _check_common(self) -> None:
        if self.target not in self.supported_targets:
            raise ParameterError(
                f"{type(self).__name__}: target={self.target!r} is not supported; it forecasts "
                f"{' or '.join(repr(t) for t in self.supported_targets)}."
            )
        check_int(type(self).__name__, "horizon", self.horizon, 1, hint="1, 5 or 22.")

    def _check_params(self) -> None:  # noqa: B027 - an optional hook: most forecasters have nothing to add
        """Subclass hook: validate hyperparameters (raise ParameterError)."""

    def validate_params(self) -> None:
        """Check every hyperparameter now (``fit`` does too); raises :class:`ParameterError`."""
        self._check_common()
        self._check_params()

    @abc.abstractmethod
    def _columns(self) -> list[str]:
        """The frame columns the model reads."""

    def _needed(self) -> list[str]:
        """Columns fit and predict need: the model's own, and the close for price targets."""
        return self._columns() + (["close"] if self.target == "price" else [])

    def _model_target(self, frame: pd.DataFrame) -> pd.Series:
        """Per origin row s: the value to learn (future mean rv, future h-day return,
        or its absolute value).
        """
        kind = self.target if self.target in ("variance", "absolute_return") else "return"
        return realized_target(frame, kind, self.horizon).shift(-1)

    # -- contract -------------------------------------------------------------------

    def fit(self, frame: pd.DataFrame, *, warm_start: BaseForecaster | None = None) -> Self:
        """Fit on every row of ``frame`` (targets that run past its end are unknown and unused).

        Parameters
        ----------
        frame : DataFrame, feature frame indexed by date
        warm_start : fitted forecaster of the same class, optional
            Start from its state (a network's weights, GARCH's parameters) instead
            of from scratch; only for classes with ``supports_warm_start``.

        Returns
        -------
        self
        """
        self.validate_params()
        _require(frame, self._needed(), type(self).__name__)
        self._check_warm_start(warm_start)
        self.warm_started_ = warm_start is not None
        y = self._model_target(frame)
        self._fit(frame, y, cast(Self | None, warm_start))  # _check_warm_start: same class, fitted
        self.fit_end_ = frame.index[-1]
        self.n_train_ = int(y.notna().sum())
        return self

    def fit_pooled(self, frames: Mapping[str, pd.DataFrame], *, warm_start: BaseForecaster | None = None) -> Self:
        """Fit on several assets' training rows at once (classes with ``supports_pooling``).

        What "at once" means is the class's: one network across the assets
        (``RnnForecaster``), or one member per asset trained together
        (``BatchedRnnUniverse``); see their ``_fit_pooled``.

        Parameters
        ----------
        frames : dict of symbol to feature frame (training rows only)
        warm_start : fitted forecaster of the same class, optional
        """
        who = f"{type(self).__name__}.fit_pooled"
        if not self.supports_pooling:
            raise ParameterError(f"{type(self).__name__} cannot pool assets; fit it per asset (pooled=False).")
        self.validate_params()
        if not isinstance(frames, Mapping) or not frames:
            raise ParameterError(
                f"{who}: frames must be a non-empty dict of symbol to feature frame; got {type(frames).__name__}."
            )
        pairs = {}
        for sym, frame in frames.items():
            _require(frame, self._needed(), f"{who} ({sym})")
            pairs[str(sym)] = (frame, self._model_target(frame))
        self._check_warm_start(warm_start)
        self.warm_started_ = warm_start is not None
        self._fit_pooled(pairs, cast(Self | None, warm_start))
        self.fit_end_ = max(f.index[-1] for f in frames.values())
        self.n_train_ = int(sum(y.notna().sum() for _, y in pairs.values()))
        self.pooled_symbols_ = list(pairs)
        return self

    def _check_warm_start(self, warm_start: BaseForecaster | None) -> None:
        if warm_start is not None:
            if not self.supports_warm_start:
                raise ParameterError(
                    f"{type(self).__name__} has no state to warm-start from; fit it cold (warm_start=None)."
                )
            if type(warm_start) is not type(self) or not hasattr(warm_start, "fit_end_"):
                raise ParameterError(
                    f"{type(self).__name__}: warm_start must be a fitted {type(self).__name__}; got "
                    f"{type(warm_start).__name__}."
                )

    def _fit_pooled(self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]], warm_start: Self | None) -> None:
        """Fit across assets: ``pairs`` of (frame, target) by symbol. Only classes with
        ``supports_pooling`` implement it (``fit_pooled`` refuses the others first).
        """
        raise ParameterError(f"{type(self).__name__} cannot pool assets; fit it per asset (pooled=False).")

    @abc.abstractmethod
    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: Self | None = None) -> None:
        """Learn from ``frame`` and ``y`` (the target per origin row); ``warm_start`` is a
        fitted model of the same class for classes with ``supports_warm_start``, else
        always None (``fit`` refuses one first).
        """

    @abc.abstractmethod
    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        """One forecast per origin row position, from rows up to the origin."""

    def refit_forecasts(self, frame: pd.DataFrame, folds: Sequence[tuple[slice, slice]]) -> list[Refit]:
        """Fit each training window and forecast its test rows: many refits in one call.

        For each ``(train, test)`` pair of row slices of ``frame`` (``test`` after
        ``train``), the same numbers as
        ``clone().fit(frame.iloc[train]).predict(frame.iloc[train.start:test.stop], frame.index[test])``.
        This default does exactly that, window by window; classes with
        ``supports_bulk_refits`` do it faster (a HAR shares one design matrix).

        Returns
        -------
        list of :class:`Refit`, one per window
        """
        out = []
        for train, test in folds:
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UserWarning)
                model = self.clone().fit(frame.iloc[train])
            fitted = time.perf_counter() - t0
            forecast = model.predict(frame.iloc[train.start : test.stop], frame.index[test])
            out.append(
                Refit(
                    forecast=forecast.to_numpy(dtype=float),
                    n_train=int(model.n_train_),
                    diagnostics={k: float(v) for k, v in model.diagnostics().items()},
                    warnings=warning_lines(caught),
                    parameters=model.n_parameters(),
                    fit_seconds=fitted,
                )
            )
        return out

    def predict(self, frame: pd.DataFrame, index: pd.DatetimeIndex) -> pd.Series:
        """One forecast per date in ``index``, using only rows of ``frame`` before it.

        Parameters
        ----------
        frame : DataFrame, feature frame indexed by date (normally the whole history)
        index : DatetimeIndex, the dates to forecast

        Returns
        -------
        Series indexed by ``index``, named after the model: daily variance
        (return units squared), ``h``-day log return, or price. NaN where the
        history before a date is too short for the model.
        """
        if not hasattr(self, "fit_end_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(frame) first.")
        _require(frame, self._needed(), f"{type(self).__name__}.predict")
        index = pd.DatetimeIndex(index)
        origins = origins_for(frame.index, index)
        if (origins < 0).any():
            first = index[int(np.argmax(origins < 0))]
            raise DataError(
                f"{type(self).__name__}.predict: no row of the frame lies before {first.date()}, so nothing is known "
                f"to forecast it from (the frame starts {frame.index[0].date()}). Hint: forecast later dates, or "
                "pass a longer history."
            )
        values = np.asarray(self._forecast(frame, origins), dtype=float)
        if self.target == "price":
            values = frame["close"].to_numpy(dtype=float)[origins] * np.exp(values)
        return pd.Series(values, index=index, name=self.name)
