r"""The HAR-X family: HAR with leverage, exogenous, semivariance and quarticity terms.

The strongest cheap baselines of the realized-volatility literature are members
of one family of least-squares regressions on averages of past variance. With
:math:`\overline{RV}^{(k)}_s` the mean of ``rv`` over the ``k`` days ending at
the origin :math:`s`,

.. math::

    y_{s+h} = \beta_0 + \sum_{k \in \text{lags}} \beta_k\, g\big(\overline{RV}^{(k)}_s\big)
        + \sum_{k \in \text{lags}} \gamma_k\, \overline{r^-}^{(k)}_s
        + \sum_j \delta_j\, g(x_{j,s}) + u_{s+h},

with :math:`g` the identity (level form) or the logarithm (log form, the target
:math:`y` then being :math:`\log RV` and the forecast retransformed by a factor
fitted on the training rows, as in :class:`signals.har.HarForecaster`), and

* ``leverage=True``: Corsi and Renò's (2012) leverage terms, the averages of the
  negative part of the daily return, :math:`r^-_t = \min(r_t, 0)`, over the
  same lags (always in levels);
* ``exog``: frame columns read at the origin (lagged VIX, a range-based
  variance, ...); in the log form, columns that are variances or volatility
  levels (``vix``, ``rv...``, ``parkinson``, ...) enter as logs; in the level
  form ``vix`` (index points) enters as the daily variance
  :math:`(\mathrm{VIX}/100)^2/252`;
* ``semivariance=True`` (HAR-RS, Patton and Sheppard 2015): the 1-day term
  :math:`RV_s` is replaced by the realized semivariances :math:`RS^+_s` and
  :math:`RS^-_s` (columns ``rs_pos``, ``rs_neg``; :mod:`signals.realized`);
* ``quarticity=True`` (HARQ, Bollerslev, Patton and Quaedvlieg 2016, level form):
  the 1-day coefficient moves with measurement error,
  :math:`(\beta_1 + \beta_{1Q} RQ_s^{1/2}) RV_s` (column ``rq``).

Each regression is an ordinary least-squares fit (``numpy.linalg.lstsq``) on
the rows whose regressors and target are all finite.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import check_bool, check_choice, check_sizes
from core.errors import DataWarning, ParameterError
from signals import realized
from signals.har import HarForecaster, OlsFit, Retransform, har_design
from signals.sequences import LOG_INPUTS

__all__ = ["HarxForecaster", "harx_design"]

#: Trading days per year: the VIX is an annualised volatility in percent.
_DAYS = 252
#: The share of a training window's usable rows an exogenous column may leave uncovered before a fit warns.
EXOG_COVERAGE = 0.05


def _exog_column(name: str, x: np.ndarray, log: bool, floor: float) -> np.ndarray:
    """An exogenous column as a regressor: logged (variances, VIX) in the log form;
    the VIX as a daily variance in the level form.
    """
    if name == "vix":
        daily = (x / 100.0) ** 2 / _DAYS
        return np.log(np.maximum(daily, floor)) if log else daily
    if log and name.startswith(LOG_INPUTS):
        return np.log(np.maximum(x, floor))
    return x


def harx_design(
    frame: pd.DataFrame,
    *,
    lags: tuple[int, ...],
    log: bool,
    floor: float,
    leverage: bool = False,
    exog: tuple[str, ...] = (),
    semivariance: bool = False,
    quarticity: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """Regressors per row of ``frame`` and their names; shape (n_rows, n_coefficients).

    Row ``s`` holds what is known at the close of ``s``; NaN where a window is
    not full or an input is missing.
    """
    rv = frame["rv"].to_numpy(dtype=float)
    har = har_design(rv, lags, log, floor)  # the constant and the HAR terms, as HarForecaster has them
    cols, names = list(har.T), ["const"] + [f"har_{k}" for k in lags]
    if semivariance:  # HAR-RS: the 1-day term split by the sign of the intraday returns
        at = names.index("har_1")
        sides = [frame[c].to_numpy(dtype=float) for c in ("rs_pos", "rs_neg")]
        cols[at : at + 1] = [np.log(np.maximum(v, floor)) if log else v for v in sides]
        names[at : at + 1] = ["rs_pos", "rs_neg"]
    if quarticity:
        rq = frame["rq"].to_numpy(dtype=float)
        cols.append(np.sqrt(np.maximum(rq, 0.0)) * rv)
        names.append("rq_har_1")
    if leverage:
        neg = np.minimum(frame["return"].to_numpy(dtype=float), 0.0)
        for k in lags:
            cols.append(realized.rolling_mean(neg, k))
            names.append(f"lev_{k}")
    for name in exog:
        cols.append(_exog_column(name, frame[name].to_numpy(dtype=float), log, floor))
        names.append(name)
    return np.column_stack(cols), names


@dataclass(kw_only=True, eq=False, repr=False)
class HarxForecaster(HarForecaster):
    """HAR-X: a HAR regression with leverage, exogenous, semivariance and quarticity terms.

    See the module docstring for the equation.

    Parameters
    ----------
    lags : tuple of int, default (1, 5, 22)
        Lengths in days of the averages of ``rv`` (and of the leverage terms).
    log : bool, default True
        Log form (log-HAR-X, retransformed by ``retransform``); False for levels.
    retransform : {"ratio", "duan"}, default "ratio"
        As in :class:`signals.har.HarForecaster`.
    leverage : bool, default True
        Corsi-Renò leverage terms: averages of the negative daily return.
    exog : tuple of str, default ()
        Frame columns read at the origin, such as ``("vix",)``.
    semivariance : bool, default False
        HAR-RS: the 1-day term split into ``rs_pos`` and ``rs_neg`` (intraday data).
    quarticity : bool, default False
        HARQ: a ``sqrt(rq) * rv`` term (intraday data; level form only).
    clip : bool, default True
        The "insanity filter" of Bollerslev, Patton and Quaedvlieg (2016): a
        forecast outside the range of the training targets is set to that range's
        nearest end. Leverage terms enter a log regression in levels, so a return
        far beyond the training range (-9 % in October 2008) would otherwise
        extrapolate exponentially (a 14 % daily volatility forecast).
    horizon : int, default 1

    Attributes
    ----------
    coef_ : Series, one coefficient per regressor (``const``, ``har_k``, ``lev_k``, exogenous names)
    smearing_, smearing_spread_, floor_, n_floored_, n_used_ : as in :class:`signals.har.HarForecaster`
    target_range_ : (float, float), the smallest and largest training target (``clip``)
    """

    lags: tuple[int, ...] = (1, 5, 22)
    log: bool = True
    retransform: Retransform = "ratio"
    leverage: bool = True
    exog: tuple[str, ...] = ()
    semivariance: bool = False
    quarticity: bool = False
    clip: bool = True
    horizon: int = 1

    @property
    @override
    def name(self) -> str:
        parts = ["logharx" if self.log else "harx"]
        if self.semivariance:
            parts.append("rs")
        if self.quarticity:
            parts.append("q")
        return "-".join(parts)

    @override
    def _check_params(self) -> None:
        who = "HarxForecaster"
        check_sizes(who, "lags", self.lags, unique=True, hint="(1, 5, 22).")
        for flag in ("log", "leverage", "semivariance", "quarticity", "clip"):
            check_bool(who, flag, getattr(self, flag))
        check_choice(who, "retransform", self.retransform, ("ratio", "duan"))
        if isinstance(self.exog, str) or not all(isinstance(c, str) for c in self.exog):
            raise ParameterError(
                f"{who}: exog must be a tuple of column names; got {self.exog!r}. Hint: exog=('vix',)."
            )
        if self.semivariance and 1 not in self.lags:
            raise ParameterError(
                f"{who}: semivariance=True splits the 1-day term, but lags={tuple(self.lags)} has no 1. "
                "Hint: lags=(1, 5, 22)."
            )
        if self.quarticity and self.log:
            raise ParameterError(
                f"{who}: quarticity=True is the HARQ of Bollerslev, Patton and Quaedvlieg, a level regression; "
                "log=True has no such term. Hint: log=False."
            )

    @override
    def _columns(self) -> list[str]:
        cols = ["rv"]
        if self.leverage:
            cols.append("return")
        if self.semivariance:
            cols += ["rs_pos", "rs_neg"]
        if self.quarticity:
            cols.append("rq")
        return [*cols, *(c for c in self.exog if c not in cols)]

    @override
    def _design(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        return harx_design(
            frame,
            lags=tuple(self.lags),
            log=self.log,
            floor=self.floor_,
            leverage=self.leverage,
            exog=tuple(self.exog),
            semivariance=self.semivariance,
            quarticity=self.quarticity,
        )

    @override
    def _regress(self, X: np.ndarray, y: np.ndarray) -> OlsFit:
        fit = super()._regress(X, y)
        if self.exog:
            self._warn_coverage(X, y, fit.n_used)
        return fit

    def _warn_coverage(self, X: np.ndarray, y: np.ndarray, used: int) -> None:
        """Say when an exogenous column covers only part of the training window: the
        fit then uses only the rows that have it (``rows_used``), fewer than the window.
        """
        k = len(self.exog)
        base = np.isfinite(X[:, :-k]).all(axis=1) & np.isfinite(y)
        if used < (1 - EXOG_COVERAGE) * base.sum():
            covered = {c: int((np.isfinite(X[:, -k + j]) & base).sum()) for j, c in enumerate(self.exog)}
            short = ", ".join(f"{c!r} on {n}" for c, n in covered.items() if n < base.sum())
            warnings.warn(
                f"{type(self).__name__}: the exogenous column(s) cover only part of the training window ({short} of "
                f"its {int(base.sum())} usable rows): the fit used the {used} rows that have every column. Hint: "
                "a later start, or a column that covers the window (arch's VIX starts in 2014).",
                DataWarning,
                stacklevel=5,
            )

    @override
    def _finish(self, fit: np.ndarray) -> np.ndarray:
        out = super()._finish(fit)
        return np.clip(out, *self.target_range_) if self.clip else out
