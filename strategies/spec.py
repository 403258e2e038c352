"""How every variance forecaster is traded: one frozen spec, one set of defaults.

:class:`StrategySpec` is the single source of the strategy defaults. The config's
``[strategy]`` table builds one (:class:`engine.config.StrategyConfig` is this
class), :func:`strategies.evaluate.strategy_table` takes one, and the low-level
functions (:func:`strategies.vol_target.vol_target_weights`,
:func:`strategies.grid.vol_target_grid`) take their defaults from
:data:`DEFAULT_SPEC`, so a script, a notebook and ``tradecast run`` trade the
same forecasts the same way unless a user says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from core.errors import ParameterError
from strategies.calibration import Calibrate
from strategies.financing import RiskFree

__all__ = [
    "DEFAULT_SPEC",
    "Base",
    "Between",
    "Choose",
    "CorrelationEstimate",
    "PortfolioScheme",
    "PortfolioSpec",
    "Size",
    "StrategySpec",
    "ThresholdSpec",
    "Units",
]

Units = Literal["return", "zscore"]
Between = Literal["flat", "hold"]
Size = Literal["unit", "vol_target"]
Choose = Literal["fixed", "grid"]


def _finite(who: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{who}.{name} must be a finite number; got {value!r}.")
    return float(value)


def _check_options(who: str, spec: object, fields: dict[str, object]) -> None:
    """Each field of ``spec`` named in ``fields`` is one of its Literal type's options."""
    for name, kind in fields.items():
        options = get_args(kind)
        if getattr(spec, name) not in options:
            raise ParameterError(
                f"{who}.{name} must be one of {', '.join(map(repr, options))}; got {getattr(spec, name)!r}."
            )


@dataclass(frozen=True)
class ThresholdSpec:
    """``[strategy.threshold]``: how every return (and price) forecaster is traded.

    Long above ``upper``, short (or flat, ``short = false``) below ``lower``,
    flat or holding between (:func:`strategies.threshold.threshold_weights`).

    Attributes
    ----------
    upper : float, default 0.0
        In daily log-return units (0.001 = 10 bp), or in z-scores with
        ``units = "zscore"``.
    lower : float, optional
        Default ``-upper``; at most ``upper``.
    units : {"return", "zscore"}, default "return"
        "zscore": the forecast divided by the volatility the run's
        ``variance_model`` forecasts for the same day.
    short : bool, default True
    between : {"flat", "hold"}, default "flat"
    size : {"unit", "vol_target"}, default "unit"
        "unit": weights of -1, 0 and 1. "vol_target": direction from the return
        model, size from ``variance_model`` aimed at the run's ``target_vol``
        (calibrated and smoothed as vol-targeting is).
    variance_model : str, optional
        The name of a variance forecaster of the same run (needed for "zscore"
        and "vol_target").
    choose : {"fixed", "grid"}, default "fixed"
        "fixed": trade ``upper`` / ``lower`` as given. "grid": for each model,
        try every value of ``uppers`` (``lower = -upper``) on the forecasts up to
        ``validation_end``, keep the best Sharpe ratio, and trade it after
        ``validation_end`` only; the deflated Sharpe ratio for the number of
        values tried is shown beside the winner. Thresholds are never picked on
        the days they are scored on.
    uppers : list of float, default [0.0, 0.0005, 0.001, 0.002]
    validation_end : str, optional
        The last day of the validation window (an ISO date), for "grid".
    """

    upper: float = 0.0
    lower: float | None = None
    units: Units = "return"
    short: bool = True
    between: Between = "flat"
    size: Size = "unit"
    variance_model: str | None = None
    choose: Choose = "fixed"
    uppers: tuple[float, ...] = (0.0, 0.0005, 0.001, 0.002)
    validation_end: str | None = None

    def __post_init__(self) -> None:
        who = "strategy.threshold"
        upper = _finite(who, "upper", self.upper)
        if self.lower is not None and _finite(who, "lower", self.lower) > upper:
            raise ParameterError(
                f"{who}.lower must be at most upper={upper:g}; got {self.lower!r}. Hint: lower = -upper for a "
                "symmetric band."
            )
        _check_options(who, self, {"units": Units, "between": Between, "size": Size, "choose": Choose})
        if not isinstance(self.short, bool):
            raise ParameterError(f"{who}.short must be true or false; got {self.short!r}.")
        if (self.units == "zscore" or self.size == "vol_target") and not self.variance_model:
            raise ParameterError(
                f"{who}: units = {self.units!r} and size = {self.size!r} need variance_model, the name of a variance "
                f'forecaster of the run. Hint: variance_model = "loghar".'
            )
        if self.choose == "grid":
            if not self.uppers or any(_finite(who, "uppers", u) < 0 for u in self.uppers):
                raise ParameterError(
                    f"{who}.uppers must be a non-empty list of non-negative thresholds; got {list(self.uppers)!r}."
                )
            if not self.validation_end:
                raise ParameterError(
                    f'{who}: choose = "grid" needs validation_end, the last day of the window the thresholds '
                    f'are chosen on (scored only after it). Hint: validation_end = "2010-12-31".'
                )
        if self.validation_end is not None:
            import pandas as pd

            try:
                pd.Timestamp(self.validation_end)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{who}.validation_end must be an ISO date such as '2010-12-31'; got {self.validation_end!r}."
                ) from None

    def describe(self) -> str:
        """One line on how return forecasts are traded."""
        unit = "z-scores of the forecast volatility" if self.units == "zscore" else "daily log-return units"
        lower = (-self.upper or 0.0) if self.lower is None else self.lower
        band = (
            f"best of upper in {list(self.uppers)} (lower = -upper) by Sharpe up to {self.validation_end}, scored "
            "after it"
            if self.choose == "grid"
            else f"upper {self.upper:g}, lower {lower:g}"
        )
        size = f"sized by vol-targeting on {self.variance_model}" if self.size == "vol_target" else "unit weights"
        return (
            f"threshold rule: long above the upper threshold, {'short' if self.short else 'flat'} below the lower, "
            f"{self.between} between; {band}, in {unit}; {size}"
        )


PortfolioScheme = Literal["inverse_vol", "equal_risk", "vol_target", "per_asset"]
CorrelationEstimate = Literal["ewma", "rolling"]
Base = Literal["equal_risk", "inverse_vol"]


@dataclass(frozen=True)
class PortfolioSpec:
    """``[strategy.portfolio]``: how a universe's variance forecasts become one portfolio.

    Every variance forecaster of a run with several assets gets one shared-cash
    portfolio per scheme (:func:`strategies.portfolio.portfolio_table`); costs,
    calibration and smoothing of the forecasts are the ``[strategy]`` ones.

    Attributes
    ----------
    schemes : tuple of {"inverse_vol", "equal_risk", "vol_target", "per_asset"}
        "inverse_vol": weights proportional to 1 / forecast volatility, fully
        invested. "equal_risk": equal risk contributions under the covariance
        forecast, fully invested. "vol_target": the ``base`` weights scaled so
        that the forecast portfolio volatility, correlations included, is
        ``target_vol`` (gross weight capped at ``max_leverage``). "per_asset":
        each asset vol-targeted on its own at ``asset_targets[asset]``, then the
        gross weight capped (needs ``asset_targets``).
    target_vol : float, default 0.10
        Annual volatility target of "vol_target".
    max_leverage : float, default 2.0
        Cap on the gross weight (sum of absolute weights) of every scheme.
    base : {"equal_risk", "inverse_vol"}, default "equal_risk"
        The mix "vol_target" scales.
    correlation : {"ewma", "rolling"}, default "ewma"
        The causal correlation estimate of the covariance forecast
        (:mod:`strategies.risk`).
    halflife : int >= 1, default 63
        Days; the EWMA correlation's half-life (only with ``correlation = "ewma"``).
    window : int >= 2, default 252
        Days; the rolling correlation's window (only with ``correlation = "rolling"``).
    asset_targets : dict of symbol to annual vol, optional
        Per-asset targets of "per_asset"; every asset of the run must have one.
    """

    schemes: tuple[PortfolioScheme, ...] = ("inverse_vol", "equal_risk", "vol_target")
    target_vol: float = 0.10
    max_leverage: float = 2.0
    base: Base = "equal_risk"
    correlation: CorrelationEstimate = "ewma"
    halflife: int = 63
    window: int = 252
    asset_targets: dict[str, float] | None = None

    def __post_init__(self) -> None:
        who = "strategy.portfolio"
        allowed = ("inverse_vol", "equal_risk", "vol_target", "per_asset")
        if (
            not self.schemes
            or any(s not in allowed for s in self.schemes)
            or len(set(self.schemes)) < len(self.schemes)
        ):
            raise ParameterError(
                f"{who}.schemes must be a non-empty list of distinct names from {', '.join(map(repr, allowed))}; "
                f'got {list(self.schemes)!r}. Hint: schemes = ["equal_risk", "vol_target"].'
            )
        for name in ("target_vol", "max_leverage"):
            if not _finite(who, name, getattr(self, name)) > 0:
                raise ParameterError(f"{who}.{name} must be positive; got {getattr(self, name)!r}. Hint: 0.10, 2.0.")
        _check_options(who, self, {"base": Base, "correlation": CorrelationEstimate})
        for name, low in (("halflife", 1), ("window", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ParameterError(f"{who}.{name} must be an integer >= {low} (days); got {value!r}. Hint: 63.")
        targets = self.asset_targets
        if targets is not None:
            if not isinstance(targets, dict) or not targets:
                raise ParameterError(
                    f"{who}.asset_targets must be a table of symbol = annual vol; got {targets!r}. "
                    "Hint: asset_targets = { SPX = 0.10, NDX = 0.15 }."
                )
            for sym, v in targets.items():
                if not _finite(f"{who}.asset_targets", str(sym), v) > 0:
                    raise ParameterError(f"{who}.asset_targets.{sym} must be a positive annual vol; got {v!r}.")
        if "per_asset" in self.schemes and not targets:
            raise ParameterError(
                f'{who}: scheme "per_asset" needs asset_targets, one annual vol per symbol. '
                "Hint: asset_targets = { SPX = 0.10, NDX = 0.15 }."
            )

    def describe(self) -> str:
        """One line on how a universe is traded, for the terminal and the report."""
        corr = (
            f"EWMA correlations (half-life {self.halflife} days)"
            if self.correlation == "ewma"
            else f"rolling {self.window}-day correlations"
        )
        return (
            f"one shared-cash portfolio per variance forecaster and scheme ({', '.join(self.schemes)}); "
            f"covariance = forecast variances with causal {corr}; vol_target aims the forecast portfolio vol at "
            f"{100 * self.target_vol:g} % ({self.base} mix, gross cap {self.max_leverage:g})"
        )


@dataclass(frozen=True)
class StrategySpec:
    """Vol-targeting and the volatility-regime rule, with their costs.

    Attributes
    ----------
    target_vol : float, default 0.10
        Annual volatility target of vol-targeting (0.10 = 10 %).
    max_leverage : float, default 2.0
        Cap on the vol-targeting weight.
    regime_quantile : float in (0, 1), default 0.8
        The regime rule is invested while the forecast volatility for the day is
        below this trailing quantile of its own past forecasts.
    regime_lookback : int >= 2, default 252
        Forecasts in that trailing window. The rule has no weight before it is
        full, so a strategy table starts where every strategy trades (see
        :func:`strategies.evaluate.strategy_table`). ``tradecast run`` refuses,
        before fitting, a lookback the out-of-sample days cannot fill (it needs
        ``regime_lookback + 1`` a symbol; :func:`engine.stages.check_strategy_days`).
    fees_bps : float >= 0, default 2.0
        Costs per trade, in basis points of traded value.
    slippage_bps : float >= 0, default 0.0
        Slippage per trade, in basis points of the price (fills that much worse).
    threshold : ThresholdSpec
        How return forecasts are traded (``[strategy.threshold]``).
    portfolio : PortfolioSpec
        How a universe's variance forecasts become one shared-cash portfolio
        (``[strategy.portfolio]``; used when a run has several assets).
    calibrate : {"none", "proxy"}, default "proxy"
        Scale forecasts of the realised-variance proxy to the variance of the
        returns traded before vol-targeting (:func:`strategies.calibration.proxy_scale`).
    smooth : int >= 1, default 10
        Vol-targeting sizes on the mean of the last ``smooth`` daily forecasts.
        Of 1, 5, 10 and 22, 10 had the best mean vol-target Sharpe over every
        default forecaster on the S&P 500 and the NASDAQ in a 2003-2007
        validation walk-forward, a period the strategy benchmark does not score
        (``benchmarks/smoothing.py`` reruns the choice).
    risk_free : float or "tbill", default "tbill"
        What uninvested cash earns and the hurdle of every Sharpe and Sortino
        ratio: an annual rate, or the one-month T-bill shipped with ``arch``
        (1926-07 to 2018-11; :mod:`strategies.financing`).
    borrow_spread : float, default 0.01
        Annual rate over ``risk_free`` paid on borrowed cash: a weight above 1
        (leverage up to ``max_leverage``) is held with money borrowed at that rate.
    """

    target_vol: float = 0.10
    max_leverage: float = 2.0
    regime_quantile: float = 0.8
    regime_lookback: int = 252
    fees_bps: float = 2.0
    calibrate: Calibrate = "proxy"
    smooth: int = 10
    slippage_bps: float = 0.0
    threshold: ThresholdSpec = field(default_factory=ThresholdSpec)
    portfolio: PortfolioSpec = field(default_factory=PortfolioSpec)
    risk_free: RiskFree = "tbill"
    borrow_spread: float = 0.01

    def __post_init__(self) -> None:
        self._check_sizes()
        if not isinstance(self.threshold, ThresholdSpec):
            raise ParameterError(f"strategy.threshold must be a ThresholdSpec; got {type(self.threshold).__name__}.")
        if not isinstance(self.portfolio, PortfolioSpec):
            raise ParameterError(f"strategy.portfolio must be a PortfolioSpec; got {type(self.portfolio).__name__}.")
        self._check_rules()
        self._check_rates()

    def _finite(self, name: str) -> float:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParameterError(f"strategy.{name} must be a finite number; got {value!r}.")
        return float(value)

    def _check_sizes(self) -> None:
        """The vol target, the leverage cap and the costs."""
        if not self._finite("target_vol") > 0:
            raise ParameterError(
                f"strategy.target_vol must be a positive annual volatility; got {self.target_vol!r}. Hint: 0.10 for "
                "10 %."
            )
        if not self._finite("max_leverage") > 0:
            raise ParameterError(
                f"strategy.max_leverage must be positive; got {self.max_leverage!r}. Hint: 1.0 for no leverage."
            )
        if self._finite("fees_bps") < 0:
            raise ParameterError(f"strategy.fees_bps must be >= 0 basis points; got {self.fees_bps!r}.")
        if self._finite("slippage_bps") < 0:
            raise ParameterError(f"strategy.slippage_bps must be >= 0 basis points; got {self.slippage_bps!r}.")

    def _check_rules(self) -> None:
        """The regime rule, the smoothing of vol-targeting and the calibration."""
        if not 0 < self._finite("regime_quantile") < 1:
            raise ParameterError(
                f"strategy.regime_quantile must be in (0, 1); got {self.regime_quantile!r}. Hint: 0.8."
            )
        for name, low, rule in (
            (
                "regime_lookback",
                2,
                ">= 2 (the trailing forecasts the regime rule ranks against); "
                "got {v!r}. Hint: 252, a year of forecasts.",
            ),
            (
                "smooth",
                1,
                ">= 1 (the number of daily forecasts vol-targeting averages); got {v!r}. "
                "Hint: 1 sizes on the latest forecast alone.",
            ),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"strategy.{name} must be an integer; got {value!r}.")
            if value < low:
                raise ParameterError(f"strategy.{name} must be " + rule.format(v=value))
        if self.calibrate not in ("none", "proxy"):
            raise ParameterError(f"strategy.calibrate must be one of 'none', 'proxy'; got {self.calibrate!r}.")

    def _check_rates(self) -> None:
        """What cash earns and borrowing costs."""
        if isinstance(self.risk_free, str):
            if self.risk_free != "tbill":
                raise ParameterError(
                    f"strategy.risk_free must be an annual rate or 'tbill'; got {self.risk_free!r}. Hint: "
                    "risk_free = 0.03, or 'tbill' for the one-month T-bill shipped with arch (to 2018)."
                )
        elif not -0.05 <= self._finite("risk_free") < 0.5:
            raise ParameterError(
                f"strategy.risk_free must be an annual rate in [-0.05, 0.5); got {self.risk_free!r}. Hint: 0.03 for "
                "3 %."
            )
        if not 0 <= self._finite("borrow_spread") < 0.5:
            raise ParameterError(
                "strategy.borrow_spread must be an annual rate in [0, 0.5) over risk_free; got "
                f"{self.borrow_spread!r}. Hint: 0.01, a broker's margin rate 1 % over the T-bill."
            )

    def financing(self) -> dict[str, Any]:
        """The keywords of :func:`strategies.backtest.backtest` that set what cash earns and borrowing costs."""
        return {"risk_free": self.risk_free, "borrow_spread": self.borrow_spread}

    def describe(self) -> str:
        """One line on how every forecaster is traded, for the terminal and the report."""
        scaled = (
            "; forecasts of the rv proxy scaled to return variance, calibrate='proxy'"
            if self.calibrate == "proxy"
            else ""
        )
        smoothed = f"; sized on the mean of the last {self.smooth} forecasts" if self.smooth > 1 else ""
        rf = "the one-month T-bill" if self.risk_free == "tbill" else f"{100 * float(self.risk_free):g} % a year"
        return (
            f"{100 * self.target_vol:g} % vol target (leverage cap {self.max_leverage:g}{scaled}{smoothed}) and a "
            f"regime rule (invested below the trailing {100 * self.regime_quantile:g}th percentile of forecast "
            f"volatility), {self.fees_bps:g} bp costs"
            + (f" and {self.slippage_bps:g} bp slippage" if self.slippage_bps else "")
            + f"; cash earns {rf}, borrowing costs {100 * self.borrow_spread:g} % a year more; Sharpe ratios in "
            "excess of the risk-free rate"
        )


#: The defaults every strategy function takes.
DEFAULT_SPEC = StrategySpec()
