"""tradecast: turn volatility and return forecasts into trades, honestly.

The public API in one namespace::

    import tradecast as tc

    frame = tc.feature_frame(tc.load("embedded:sp500"), estimator="garman_klass")
    result = tc.walk_forward(frame, {"loghar": tc.HarForecaster(log=True), "gru": tc.RnnForecaster(cell="gru")},
                             tc.WalkForward(start="2008-01-01", refit_every="year"))
    print(tc.leaderboard(result.for_symbol().drop(columns="fold"), frame, result.models, baseline="loghar"))

Each name lives in one of the packages ``engine``, ``signals``, ``strategies``
and ``reports`` (the layout users were promised); this module re-exports them
and imports each on first use, so ``import tradecast`` stays fast (no torch
until a network is asked for).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_WHERE: dict[str, str] = {
    # data, features, folds, the walk-forward engine and stored runs
    "load": "engine.data",
    "feature_frame": "signals.features",
    "WalkForward": "engine.splits",
    "walk_forward": "engine.walkforward",
    "WalkForwardResult": "engine.walkforward",
    "RunConfig": "engine.config",
    "load_config": "engine.config",
    "run_job": "engine.job",
    "load_results": "engine.results",
    # forecasters
    "BaseForecaster": "signals.base",
    "GarchForecaster": "signals.garch",
    "HarForecaster": "signals.har",
    "HarxForecaster": "signals.harx",
    "EwmaForecaster": "signals.naive",
    "HistoricalMeanForecaster": "signals.naive",
    "RollingMeanForecaster": "signals.naive",
    "ZeroForecaster": "signals.naive",
    "ArForecaster": "signals.autoreg",
    "MlpForecaster": "signals.autoreg",
    "RnnForecaster": "signals.rnn",
    "BatchedRnnEnsemble": "signals.batched",
    "BatchedRnnUniverse": "signals.batched",
    "EnsembleForecaster": "signals.ensemble",
    "check_causality": "signals.audit",
    # strategies
    "StrategySpec": "strategies.spec",
    "ThresholdSpec": "strategies.spec",
    "strategy_table": "strategies.evaluate",
    "threshold_table": "strategies.evaluate",
    "vol_target_weights": "strategies.vol_target",
    "threshold_weights": "strategies.threshold",
    "backtest": "strategies.backtest",
    # evaluation and reports
    "leaderboard": "reports.metrics",
    "diebold_mariano": "reports.metrics",
    "model_confidence_set": "reports.metrics",
    "write_report": "reports.html",
    # errors
    "TradecastError": "core.errors",
    "DataError": "core.errors",
    "ConfigError": "core.errors",
    "ParameterError": "core.errors",
}

__all__ = [
    "ArForecaster",
    "BaseForecaster",
    "BatchedRnnEnsemble",
    "BatchedRnnUniverse",
    "ConfigError",
    "DataError",
    "EnsembleForecaster",
    "EwmaForecaster",
    "GarchForecaster",
    "HarForecaster",
    "HarxForecaster",
    "HistoricalMeanForecaster",
    "MlpForecaster",
    "ParameterError",
    "RnnForecaster",
    "RollingMeanForecaster",
    "RunConfig",
    "StrategySpec",
    "ThresholdSpec",
    "TradecastError",
    "WalkForward",
    "WalkForwardResult",
    "ZeroForecaster",
    "backtest",
    "check_causality",
    "diebold_mariano",
    "feature_frame",
    "leaderboard",
    "load",
    "load_config",
    "load_results",
    "model_confidence_set",
    "run_job",
    "strategy_table",
    "threshold_table",
    "threshold_weights",
    "vol_target_weights",
    "walk_forward",
    "write_report",
]

if TYPE_CHECKING:
    from core.errors import ConfigError, DataError, ParameterError, TradecastError
    from engine.config import RunConfig, load_config
    from engine.data import load
    from engine.job import run_job
    from engine.results import load_results
    from engine.splits import WalkForward
    from engine.walkforward import WalkForwardResult, walk_forward
    from reports.html import write_report
    from reports.metrics import diebold_mariano, leaderboard, model_confidence_set
    from signals.audit import check_causality
    from signals.autoreg import ArForecaster, MlpForecaster
    from signals.base import BaseForecaster
    from signals.batched import BatchedRnnEnsemble, BatchedRnnUniverse
    from signals.ensemble import EnsembleForecaster
    from signals.features import feature_frame
    from signals.garch import GarchForecaster
    from signals.har import HarForecaster
    from signals.harx import HarxForecaster
    from signals.naive import EwmaForecaster, HistoricalMeanForecaster, RollingMeanForecaster, ZeroForecaster
    from signals.rnn import RnnForecaster
    from strategies.backtest import backtest
    from strategies.evaluate import strategy_table, threshold_table
    from strategies.spec import StrategySpec, ThresholdSpec
    from strategies.threshold import threshold_weights
    from strategies.vol_target import vol_target_weights


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(
            f"module 'tradecast' has no attribute {name!r}; the public names are: {', '.join(__all__)}"
        )
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
