"""Hyperparameter search inside each fit, on the training rows' own validation tail.

:class:`SearchForecaster` wraps a forecaster and a search space. Each ``fit`` (one
walk-forward fold) splits the rows it is given: the last ``validation`` rows are a
validation tail, the rows before it (less a purge of ``horizon - 1`` rows, so no
training target reaches into the tail) are the inner training rows. Every trial
fits the wrapped forecaster with one choice of values on the inner rows and scores
its forecasts of the tail (QLIKE for variance, MSE otherwise); the best choice is
then refitted on all the rows of the fold. The walk-forward hands a fold its
training rows only, so no trial ever sees a test row (a test checks the rows every
inner fit and forecast receives).

Trials are proposed by Optuna (``pip install optuna``, the standard library for this;
an optional dependency) with a seeded TPE or random sampler, so a search is
reproducible. The values chosen in each fold are the fitted ``chosen_`` and appear in
the run's fit table (``diagnostics``: numbers as they are, other candidates by their
position in the space's list).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from core.checks import check_choice, check_int
from core.errors import ParameterError
from core.evaluation.losses import Loss, loss, scoring_mask
from signals.base import BaseForecaster, Target, VarianceOf, realized_target
from signals.har import HarForecaster

__all__ = ["Sampler", "SearchForecaster"]

#: How Optuna proposes trials.
Sampler = Literal["tpe", "random"]


def _candidates(values: Any) -> tuple[Any, ...]:
    """A space entry as a tuple of candidates (a list candidate, such as hidden sizes, as a tuple)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in values)


@dataclass(kw_only=True, eq=False, repr=False)
class SearchForecaster(BaseForecaster):
    """A forecaster whose hyperparameters are chosen in every fit on a validation tail.

    Parameters
    ----------
    model : BaseForecaster, default HarForecaster(log=True)
        The forecaster searched over; its own values are the ones not in ``space``.
    space : dict of parameter name to list of candidates, default {} (no search)
        E.g. ``{"hidden": [(16,), (32,)], "lr": [0.001, 0.003, 0.01], "seq_len": [22, 66]}``.
    trials : int, default 8
        Trials per fit (at most the number of distinct choices).
    validation : int, default 252
        Rows at the end of each fit's training rows that score the trials.
    sampler : {"tpe", "random"}, default "tpe"
    seed : int, default 0
        The sampler's seed: the same rows give the same choice.

    Attributes
    ----------
    chosen_ : dict, the values chosen in the last fit
    best_loss_ : float, their mean validation loss
    trials_ : DataFrame, every trial's values and loss
    best_ : BaseForecaster, the wrapped forecaster with the chosen values, refitted on every row
    """

    supported_targets = ("variance", "return", "price", "absolute_return")
    relative_cost = 10.0
    #: ``model`` is a forecaster built from a config sub-table (default type: har).
    components: ClassVar[dict[str, str]] = {"model": "har"}

    model: BaseForecaster = field(default_factory=lambda: HarForecaster(log=True))
    space: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    trials: int = 8
    validation: int = 252
    sampler: Sampler = "tpe"
    seed: int = 0

    def __post_init__(self) -> None:
        # None has always meant the defaults (HarForecaster(log=True), no search)
        if self.model is None:
            self.model = HarForecaster(log=True)
        if self.space is None:
            self.space = {}

    @property
    def target(self) -> Target:  # type: ignore[override]
        """The wrapped model's target: a search forecasts what its model forecasts."""
        return self.model.target

    @property
    def horizon(self) -> int:  # type: ignore[override]
        """The wrapped model's horizon."""
        return int(self.model.horizon)

    @property
    def variance_of(self) -> VarianceOf:  # type: ignore[override]
        """What the wrapped model's variance forecast measures."""
        return self.model.variance_of

    @property
    def name(self) -> str:
        """``search-`` and the wrapped model's name."""
        return f"search-{self.model.name}"

    def n_parameters(self) -> int:
        """The refitted model's parameters (0 before a fit)."""
        return self.best_.n_parameters() if hasattr(self, "best_") else 0

    # -- checks -------------------------------------------------------------------------

    def _check_params(self) -> None:
        who = "SearchForecaster"
        if not isinstance(self.model, BaseForecaster) or isinstance(self.model, SearchForecaster):
            raise ParameterError(
                f"{who}: model must be a forecaster (not another search); got {type(self.model).__name__}. Hint: "
                "model=RnnForecaster(cell='gru')."
            )
        self.model.validate_params()
        if not isinstance(self.space, Mapping):
            raise ParameterError(
                f"{who}: space must map parameter names to lists of candidates; got {self.space!r}. Hint: "
                "space={'lr': [0.001, 0.01]}."
            )
        valid = type(self.model)._param_names()
        for key, values in self.space.items():
            if key not in valid:
                raise ParameterError(
                    f"{who}: space names {key!r}, which {type(self.model).__name__} does not take; its parameters "
                    f"are {', '.join(valid)}."
                )
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
                raise ParameterError(
                    f"{who}: space[{key!r}] must be a non-empty list of candidates; got {values!r}. Hint: "
                    f"{key} = [a, b]."
                )
            for v in _candidates(values):  # every candidate must be a valid value of the model
                self.model.clone().set_params(**{key: v}).validate_params()
        check_int(who, "trials", self.trials, 1, hint="8.")
        check_int(who, "validation", self.validation, 20, hint="252 rows, a year.")
        check_choice(who, "sampler", self.sampler, ("tpe", "random"))
        check_int(who, "seed", self.seed, 0)

    def _columns(self) -> list[str]:
        return self.model._columns()

    def _needed(self) -> list[str]:
        return self.model._needed()

    # -- fit ------------------------------------------------------------------------------

    def _score(self, params: dict[str, Any], inner: pd.DataFrame, frame: pd.DataFrame, tail: pd.DatetimeIndex) -> float:
        """Mean validation loss of the model with ``params``, fitted on ``inner`` and forecasting ``tail``."""
        model = self.model.clone().set_params(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a trial's convergence warnings are not the fold's
            model.fit(inner)
            forecast = model.predict(frame, tail).to_numpy(dtype=float)
        kind: Target = self.target if self.target in ("variance", "absolute_return") else "return"
        if self.target == "price":
            forecast = np.log(forecast / frame["close"].shift(1).reindex(tail).to_numpy(dtype=float))
        y = realized_target(frame, kind, self.horizon).reindex(tail).to_numpy(dtype=float)
        name: Loss = "qlike" if self.target == "variance" else "mse"
        ok = scoring_mask(y, forecast, name)
        if ok.sum() < 10:
            return math.inf
        return float(loss(name, y[ok], forecast[ok]))

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: SearchForecaster | None = None) -> None:
        space = {k: _candidates(v) for k, v in self.space.items()}
        keys = list(space)
        self.trials_ = pd.DataFrame(columns=[*keys, "loss"])
        chosen: dict[str, Any] = {}
        self.best_loss_ = math.nan
        if space:
            # the tail: the last ``validation`` rows whose targets lie inside the frame; the inner rows end
            # ``horizon - 1`` rows before it, so that no inner target overlaps a validation day
            h = self.horizon
            usable = len(frame) - (h - 1)
            if usable - self.validation < 252:
                raise ParameterError(
                    f"SearchForecaster: {len(frame)} training rows leave {usable - self.validation} inner rows "
                    f"before the validation tail of {self.validation}; at least 252 are needed. Hint: a smaller "
                    "validation, or a later walk-forward start."
                )
            tail = frame.index[usable - self.validation : usable]
            inner = frame.iloc[: usable - self.validation - (h - 1)]
            chosen, self.best_loss_, self.trials_ = self._search(space, inner, frame.iloc[:usable], tail)
        self.chosen_ = chosen
        self.best_ = self.model.clone().set_params(**chosen).fit(frame)
        self.converged_ = self.best_.converged_
        self.best_epoch_ = self.best_.best_epoch_
        self.history_ = self.best_.history_

    def _search(
        self, space: dict[str, tuple[Any, ...]], inner: pd.DataFrame, frame: pd.DataFrame, tail: pd.DatetimeIndex
    ) -> tuple[dict[str, Any], float, pd.DataFrame]:
        try:
            import optuna
        except ImportError:
            raise ParameterError(
                "SearchForecaster: a search needs Optuna, which is not installed. Hint: pip install optuna (or "
                "pip install 'tradecast[search]'), or leave space empty."
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = (
            optuna.samplers.TPESampler(seed=self.seed)
            if self.sampler == "tpe"
            else optuna.samplers.RandomSampler(seed=self.seed)
        )
        study = optuna.create_study(direction="minimize", sampler=sampler)
        rows: list[dict[str, Any]] = []
        seen: dict[tuple[int, ...], float] = {}
        n_choices = int(np.prod([len(v) for v in space.values()]))

        def objective(trial: Any) -> float:
            # candidates by position: Optuna's categories must be plain scalars, a hidden size is a tuple
            picks = tuple(trial.suggest_categorical(k, list(range(len(v)))) for k, v in space.items())
            if picks not in seen:
                params = {k: space[k][i] for k, i in zip(space, picks, strict=True)}
                seen[picks] = self._score(params, inner, frame, tail)
                rows.append({**params, "loss": seen[picks]})
            return seen[picks]

        study.optimize(objective, n_trials=min(self.trials, n_choices))
        best = study.best_trial.params
        chosen = {k: space[k][best[k]] for k in space}
        return chosen, float(study.best_value), pd.DataFrame(rows)

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        return np.asarray(self.best_._forecast(frame, origins), dtype=float)

    def diagnostics(self) -> dict[str, float]:
        """The chosen values (numbers as they are, other candidates by their position in the
        space's list) and their validation loss, for the run's fit table.
        """
        out: dict[str, float] = {}
        for k, v in getattr(self, "chosen_", {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[f"search_{k}"] = float(v)
            else:
                out[f"search_{k}_choice"] = float(_candidates(self.space[k]).index(v))
        if getattr(self, "chosen_", None):
            out["search_val_loss"] = float(self.best_loss_)
        return out
