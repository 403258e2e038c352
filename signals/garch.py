r"""GARCH, GJR-GARCH and EGARCH variance forecasters on ``arch``.

Parameters are estimated by ``arch`` (maximum likelihood on percent returns,
since ``arch`` wants returns scaled near unit variance); forecasts come from
:mod:`signals.recursions`, which reproduces ``arch``'s recursions with the
pre-sample *backcast* frozen at fit time. So the forecast for a date depends on
earlier rows only, and equals ``arch``'s own forecast on the same data.

``kind`` picks the variance equation (see :mod:`signals.recursions`):
``"garch"`` (o = 0), ``"gjr"`` (o = p asymmetric terms) or ``"egarch"``
(o = p). The conditional mean is a constant (or zero) and the shocks follow
``dist``. Forecasts are daily variances in log-return units squared; for
``horizon > 1`` the mean of the next ``h`` daily variances (analytic for GARCH
and GJR, simulated with fixed shocks for EGARCH, as ``arch`` does).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import check_choice, check_int
from core.errors import ConvergenceWarning, ParameterError
from signals import recursions
from signals.base import BaseForecaster

__all__ = ["GarchForecaster"]

Kind = Literal["garch", "gjr", "egarch"]
Dist = Literal["normal", "t", "skewt"]
Mean = Literal["constant", "zero"]

#: arch wants percent returns: variance in arch's units is 1e4 times ours.
_SCALE = 100.0


@dataclass(kw_only=True, eq=False, repr=False)
class GarchForecaster(BaseForecaster):
    """GARCH-family next-day variance of returns.

    Parameters
    ----------
    kind : {"garch", "gjr", "egarch"}, default "garch"
    p, q : int, default 1
        ARCH and GARCH orders (GJR and EGARCH get ``o = p`` asymmetric terms).
    dist : {"normal", "t", "skewt"}, default "normal"
    mean : {"constant", "zero"}, default "constant"
    horizon : int, default 1
    simulations : int, default 1000
        Paths for EGARCH forecasts beyond one step.
    seed : int, default 0
        Seeds those simulations.
    max_iter : int, default 500
        Optimiser iterations; a fit that stops without converging warns
        :class:`~core.errors.ConvergenceWarning` and sets ``converged_ = False``.

    Attributes
    ----------
    params_ : Series
        ``arch``'s estimates (mean, variance and distribution parameters) in
        percent units.
    backcast_ : float
        Pre-sample variance (log variance for EGARCH) used by every forecast.
    converged_ : bool
    result_ : arch result object of the fit (for summaries).
    """

    @override
    def n_parameters(self) -> int:
        return len(self.params_)

    kind: Kind = "garch"
    p: int = 1
    q: int = 1
    dist: Dist = "normal"
    mean: Mean = "constant"
    horizon: int = 1
    simulations: int = 1000
    seed: int = 0
    max_iter: int = 500

    @property
    @override
    def name(self) -> str:
        return self.kind if self.dist == "normal" else f"{self.kind}-{self.dist}"

    def _check_params(self) -> None:
        who = "GarchForecaster"
        for option, allowed in (
            ("kind", ("garch", "gjr", "egarch")),
            ("dist", ("normal", "t", "skewt")),
            ("mean", ("constant", "zero")),
        ):
            check_choice(who, option, getattr(self, option), allowed)
        for option, low in (("p", 1), ("q", 0), ("simulations", 1), ("max_iter", 1)):
            check_int(who, option, getattr(self, option), low)

    def _columns(self) -> list[str]:
        return ["return"]

    @property
    def _o(self) -> int:
        return 0 if self.kind == "garch" else self.p

    def arch_model(self, returns: pd.Series):
        """The ``arch`` model this forecaster fits, on log returns (scaled to percent here)."""
        from arch import arch_model

        return arch_model(
            _SCALE * returns,
            mean="Constant" if self.mean == "constant" else "Zero",
            vol="EGARCH" if self.kind == "egarch" else "GARCH",
            p=self.p,
            o=self._o,
            q=self.q,
            dist=self.dist,
            rescale=False,
        )

    supports_warm_start = True
    relative_cost = 20.0
    variance_of = "returns"
    params_: pd.Series = field(init=False, repr=False)

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: GarchForecaster | None = None) -> None:
        r = frame["return"].dropna()
        if len(r) < 50:
            raise ParameterError(
                f"GarchForecaster: needs at least 50 returns to fit; the frame has {len(r)}. Hint: a longer training "
                "window."
            )
        model = self.arch_model(r)
        # arch's own warning is replaced by ours below, which names the window and sets a flag.
        start = None if warm_start is None else warm_start.params_.to_numpy()
        res = model.fit(disp="off", show_warning=False, starting_values=start, options={"maxiter": self.max_iter})
        self.result_ = res
        self.params_ = res.params.copy()
        self.converged_ = bool(res.convergence_flag == 0)
        if not self.converged_:
            warnings.warn(
                f"GarchForecaster({self.name}) did not converge on {len(r)} returns ending {r.index[-1].date()} "
                f"(optimizer: {res.optimization_result.message}); its forecasts may be poor. Hint: a longer window, "
                f"dist='normal', or more max_iter.",
                ConvergenceWarning,
                stacklevel=3,
            )
        y_pct = model.y
        resid0 = y_pct - y_pct.mean() if self.mean == "constant" else y_pct
        # arch's fit starts its recursion from this value (its own choice of residuals).
        self.backcast_ = float(model.volatility.backcast(np.asarray(resid0)))

    def warm_state(self) -> dict[str, np.ndarray]:
        """The fitted parameters (the next fold's starting values) and their names."""
        return {
            "params": self.params_.to_numpy(dtype=float),
            "names": np.array([str(n) for n in self.params_.index], dtype=str),
        }

    @override
    def load_warm_state(self, state, fit_end) -> GarchForecaster:
        values, names = np.asarray(state["params"], dtype=float), [str(n) for n in state["names"]]
        if values.shape != (len(names),) or not np.isfinite(values).all():
            raise ParameterError(
                f"GarchForecaster: a stored state of {values.shape} parameters for {len(names)} names cannot be used."
            )
        self.params_ = pd.Series(values, index=names)
        self.fit_end_ = pd.Timestamp(fit_end)
        return self

    def _parts(self) -> tuple[float, recursions.Coefficients]:
        """The fitted mean and the variance equation's coefficients (percent units)."""
        v = self.params_
        mu = float(v["mu"]) if self.mean == "constant" else 0.0
        return mu, recursions.Coefficients(
            float(v["omega"]),
            np.array([v[f"alpha[{i + 1}]"] for i in range(self.p)], dtype=float),
            np.array([v[f"gamma[{i + 1}]"] for i in range(self._o)], dtype=float),
            np.array([v[f"beta[{i + 1}]"] for i in range(self.q)], dtype=float),
        )

    def conditional_variance(self, frame: pd.DataFrame) -> pd.Series:
        """Variance of each row's return given the rows before it (daily, units squared)."""
        s2, _, first = self._filter(frame)
        out = np.full(len(frame), np.nan)
        out[first:] = s2[:-1] / _SCALE**2
        return pd.Series(out, index=frame.index, name=self.name)

    def _filter(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
        """Conditional variances (percent units, one past the data), residuals, and the first row used."""
        r = frame["return"].to_numpy(dtype=float)
        finite = np.isfinite(r)
        first = int(np.argmax(finite)) if finite.any() else len(r)
        if not finite[first:].all():
            bad = frame.index[first + int(np.argmax(~finite[first:]))]
            raise ParameterError(
                f"GarchForecaster: the return on {bad.date()} is missing; the variance recursion needs every return "
                "after the first."
            )
        mu, coef = self._parts()
        eps = _SCALE * r[first:] - mu
        recursion = recursions.egarch_filter if self.kind == "egarch" else recursions.gjr_filter
        s2 = recursion(eps, coef, self.backcast_)
        return s2, eps, first

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        s2, eps, first = self._filter(frame)
        out = np.full(len(origins), np.nan)
        ok = origins >= first - 1
        pos = origins[ok] - first  # origin in filter coordinates (-1: before the first return)
        if self.horizon == 1:
            out[ok] = s2[pos + 1] / _SCALE**2
            return out
        _, coef = self._parts()
        if self.kind == "egarch":
            shocks = self._shocks()
            # Blocks of origins keep the (origins x simulations x horizon) paths small.
            paths = (
                np.concatenate(
                    [
                        recursions.egarch_forecast(
                            eps, s2, pos[i : i + 128], self.horizon, coef, self.backcast_, shocks
                        )
                        for i in range(0, len(pos), 128)
                    ]
                )
                if len(pos)
                else np.empty((0, self.horizon))
            )
        else:
            paths = recursions.gjr_forecast(eps, s2, pos, self.horizon, coef, self.backcast_)
        out[ok] = paths.mean(axis=1) / _SCALE**2
        return out

    def _shocks(self) -> np.ndarray:
        """Standardised draws of the fitted distribution, shape (simulations, horizon)."""
        from arch.univariate import Normal, SkewStudent, StudentsT

        dist_cls: Any = {"normal": Normal, "t": StudentsT, "skewt": SkewStudent}[self.dist]
        dist = dist_cls(seed=np.random.default_rng(self.seed))
        names = {"normal": [], "t": ["nu"], "skewt": ["eta", "lambda"]}[self.dist]
        draw = dist.simulate([float(self.params_[n]) for n in names])
        return np.asarray(draw((self.simulations, self.horizon)), dtype=float)
