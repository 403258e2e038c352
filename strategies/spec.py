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
from dataclasses import dataclass

from signals.errors import ParameterError
from strategies.calibration import Calibrate

__all__ = ["StrategySpec", "DEFAULT_SPEC"]


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
        :func:`strategies.evaluate.strategy_table`).
    fees_bps : float >= 0, default 2.0
        Costs per trade, in basis points of traded value.
    calibrate : {"none", "proxy"}, default "proxy"
        Scale forecasts of the realised-variance proxy to the variance of the
        returns traded before vol-targeting (:func:`strategies.calibration.proxy_scale`).
    smooth : int >= 1, default 10
        Vol-targeting sizes on the mean of the last ``smooth`` daily forecasts.
        Of 1, 5, 10 and 22, 10 had the best mean vol-target Sharpe over every
        default forecaster on the S&P 500 and the NASDAQ in a 2003-2007
        validation walk-forward, a period the strategy benchmark does not score
        (``benchmarks/smoothing.py`` reruns the choice).
    """

    target_vol: float = 0.10
    max_leverage: float = 2.0
    regime_quantile: float = 0.8
    regime_lookback: int = 252
    fees_bps: float = 2.0
    calibrate: Calibrate = "proxy"
    smooth: int = 10

    def __post_init__(self) -> None:
        def finite(name: str) -> float:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"strategy.{name} must be a finite number; got {value!r}.")
            return float(value)

        if not finite("target_vol") > 0:
            raise ParameterError(f"strategy.target_vol must be a positive annual volatility; got {self.target_vol!r}. Hint: 0.10 for 10 %.")
        if not finite("max_leverage") > 0:
            raise ParameterError(f"strategy.max_leverage must be positive; got {self.max_leverage!r}. Hint: 1.0 for no leverage.")
        if finite("fees_bps") < 0:
            raise ParameterError(f"strategy.fees_bps must be >= 0 basis points; got {self.fees_bps!r}.")
        if not 0 < finite("regime_quantile") < 1:
            raise ParameterError(f"strategy.regime_quantile must be in (0, 1); got {self.regime_quantile!r}. Hint: 0.8.")
        for name, low, rule in (("regime_lookback", 2, ">= 2 (the trailing forecasts the regime rule ranks against); "
                                                    "got {v!r}. Hint: 252, a year of forecasts."),
                                ("smooth", 1, ">= 1 (the number of daily forecasts vol-targeting averages); got {v!r}. "
                                              "Hint: 1 sizes on the latest forecast alone.")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"strategy.{name} must be an integer; got {value!r}.")
            if value < low:
                raise ParameterError(f"strategy.{name} must be " + rule.format(v=value))
        if self.calibrate not in ("none", "proxy"):
            raise ParameterError(f"strategy.calibrate must be one of 'none', 'proxy'; got {self.calibrate!r}.")

    def describe(self) -> str:
        """One line on how every forecaster is traded, for the terminal and the report."""
        scaled = "; forecasts of the rv proxy scaled to return variance, calibrate='proxy'" if self.calibrate == "proxy" else ""
        smoothed = f"; sized on the mean of the last {self.smooth} forecasts" if self.smooth > 1 else ""
        return (f"{100 * self.target_vol:g} % vol target (leverage cap {self.max_leverage:g}{scaled}{smoothed}) and a regime rule "
                f"(invested below the trailing {100 * self.regime_quantile:g}th percentile of forecast volatility), {self.fees_bps:g} bp costs")


#: The defaults every strategy function takes.
DEFAULT_SPEC = StrategySpec()
