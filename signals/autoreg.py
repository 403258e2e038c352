r"""Return baselines on lagged features: a linear autoregression and an MLP.

Both regress the next :math:`h`-day log return on the last ``n_lags`` values of
each input column, known at the origin :math:`s`:

.. math:: r_{s+1:s+h} = f(x_s, x_{s-1}, \dots, x_{s-L+1}) + u

The linear model is least squares (an AR(L) when the only input is the return);
the MLP is scikit-learn's ``MLPRegressor`` on inputs standardised with the
training rows' mean and deviation. They are the baselines that a neural return
forecaster has to beat.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import UNSET, check_bool, check_int, check_number, check_sizes
from core.errors import ParameterError
from signals.base import BaseForecaster, Target

__all__ = ["ArForecaster", "MlpForecaster", "lag_matrix"]


def lag_matrix(values: np.ndarray, lags: int) -> np.ndarray:
    """Row ``s`` holds ``values[s], values[s-1], ..., values[s-lags+1]`` for every
    column; shape (n, n_columns * lags), NaN where the history is too short.
    """
    values = values.reshape(len(values), -1)
    n, k = values.shape
    out = np.full((n, k * lags), np.nan)
    for j in range(lags):
        out[j:, j * k : (j + 1) * k] = values[: n - j]
    return out


@dataclass(kw_only=True, eq=False, repr=False)
class _LaggedRegressor(BaseForecaster):
    """Regressions on the lags of ``features``; subclasses give both their defaults."""

    #: ``lags`` now means only which lags a HAR averages (``HarForecaster(lags=(1, 5, 22))``).
    _renamed: ClassVar[dict[str, str]] = {"lags": "n_lags"}

    supported_targets = ("return", "price", "absolute_return")
    n_lags: int
    features: tuple[str, ...]
    lags: InitVar[Any] = UNSET

    def __post_init__(self, lags: Any) -> None:
        self.n_lags = self._rename("lags", lags, "n_lags", self.n_lags)

    def _columns(self) -> list[str]:
        return list(self.features)

    def _check_features(self) -> None:
        if isinstance(self.features, str) or not self.features:
            raise ParameterError(
                f"{type(self).__name__}: features must be a non-empty tuple of column names; got {self.features!r}. "
                "Hint: ('return',)."
            )

    def _design(self, frame: pd.DataFrame) -> np.ndarray:
        return lag_matrix(frame[list(self.features)].to_numpy(dtype=float), self.n_lags)

    def _training_rows(self, frame: pd.DataFrame, y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        X, target = self._design(frame), y.to_numpy(dtype=float)
        ok = np.isfinite(X).all(axis=1) & np.isfinite(target)
        if ok.sum() < X.shape[1] + 10:
            raise ParameterError(
                f"{type(self).__name__}: only {int(ok.sum())} usable training rows for {X.shape[1]} inputs. Hint: a "
                "longer training window or fewer lags."
            )
        return X[ok], target[ok]


@dataclass(kw_only=True, eq=False, repr=False)
class ArForecaster(_LaggedRegressor):
    """Linear autoregression of the ``h``-day return on lagged inputs, by least squares.

    Parameters
    ----------
    n_lags : int, default 5
        How many lagged rows of each feature (``lags`` is the deprecated spelling).
    features : tuple of str, default ("return",)
        Frame columns whose lags are the regressors.
    target : {"return", "price", "absolute_return"}, default "return"
    horizon : int, default 1

    Attributes
    ----------
    coef_ : Series, ``const`` then ``{column}_lag{j}`` (lag 0 is the origin's value).
    """

    @override
    def n_parameters(self) -> int:
        return len(self.coef_)

    n_lags: int = 5
    features: tuple[str, ...] = ("return",)
    target: Target = "return"
    horizon: int = 1

    @property
    @override
    def name(self) -> str:
        return f"ar{self.n_lags}"

    def _check_params(self) -> None:
        check_int("ArForecaster", self._spelling("n_lags"), self.n_lags, 1)
        self._check_features()

    def _fit(self, frame, y, warm_start=None) -> None:
        X, target = self._training_rows(frame, y)
        X1 = np.column_stack([np.ones(len(X)), X])
        beta, *_ = np.linalg.lstsq(X1, target, rcond=None)
        names = [f"{c}_lag{j}" for j in range(self.n_lags) for c in self.features]
        self.coef_ = pd.Series(beta, index=["const"] + names)

    def _forecast(self, frame, origins):
        X = self._design(frame)[origins]
        return self.coef_.iloc[0] + X @ self.coef_.to_numpy()[1:]


@dataclass(kw_only=True, eq=False, repr=False)
class MlpForecaster(_LaggedRegressor):
    """Multi-layer perceptron on lagged inputs (scikit-learn ``MLPRegressor``).

    Parameters
    ----------
    hidden : tuple of int, default (32, 16)
        Units per hidden layer.
    n_lags : int, default 10
        How many lagged rows of each feature (``lags`` is the deprecated spelling).
    features : tuple of str, default ("return",)
    alpha : float, default 1e-3
        L2 penalty.
    max_iter : int, default 300
    seed : int, default 0
    target : {"return", "price", "absolute_return"}, default "return"
    horizon : int, default 1
    shuffle : bool, default False
        Shuffle the training samples each epoch (scikit-learn's default is True;
        False keeps time order, which early stopping's validation tail relies on).
    validation_fraction : float in (0, 1), default 0.2
        The share of training samples held out for early stopping.
    early_stopping : bool, default True
        Stop when the held-out score stops improving.

    Attributes
    ----------
    model_ : the fitted ``MLPRegressor``
    x_mean_, x_std_ : ndarray, input scaling from the training rows only
    y_scale_ : float, the training target's standard deviation
    """

    relative_cost = 100.0

    @override
    def n_parameters(self) -> int:
        return int(sum(c.size for c in self.model_.coefs_) + sum(b.size for b in self.model_.intercepts_))

    hidden: tuple[int, ...] = (32, 16)
    n_lags: int = 10
    features: tuple[str, ...] = ("return",)
    alpha: float = 1e-3
    max_iter: int = 300
    seed: int = 0
    target: Target = "return"
    horizon: int = 1
    shuffle: bool = False
    validation_fraction: float = 0.2
    early_stopping: bool = True

    def _check_params(self) -> None:
        check_int("MlpForecaster", self._spelling("n_lags"), self.n_lags, 1)
        check_int("MlpForecaster", "max_iter", self.max_iter, 1)
        self._check_features()
        check_sizes("MlpForecaster", "hidden", self.hidden, hint="(32, 16).")
        check_bool("MlpForecaster", "shuffle", self.shuffle)
        check_bool("MlpForecaster", "early_stopping", self.early_stopping)
        check_number(
            "MlpForecaster",
            "validation_fraction",
            self.validation_fraction,
            lambda v: 0 < v < 1,
            "in (0, 1), such as 0.2",
        )

    def _fit(self, frame, y, warm_start=None) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
        from sklearn.neural_network import MLPRegressor

        X, target = self._training_rows(frame, y)
        self.x_mean_, self.x_std_ = X.mean(axis=0), X.std(axis=0)
        self.x_std_[self.x_std_ == 0] = 1.0
        self.y_scale_ = float(target.std()) or 1.0
        self.model_ = MLPRegressor(
            hidden_layer_sizes=tuple(self.hidden),
            alpha=self.alpha,
            max_iter=self.max_iter,
            random_state=self.seed,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            shuffle=self.shuffle,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SkConvergenceWarning)
            self.model_.fit((X - self.x_mean_) / self.x_std_, target / self.y_scale_)
        self.converged_ = not any(issubclass(w.category, SkConvergenceWarning) for w in caught)

    def _forecast(self, frame, origins):
        X = self._design(frame)[origins]
        out = np.full(len(origins), np.nan)
        ok = np.isfinite(X).all(axis=1)
        if ok.any():
            out[ok] = self.model_.predict((X[ok] - self.x_mean_) / self.x_std_) * self.y_scale_
        return out
