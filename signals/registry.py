"""Forecaster classes by the short type names that configs use."""

from __future__ import annotations

from signals.autoreg import ArForecaster, MlpForecaster
from signals.base import BaseForecaster
from signals.batched import BatchedRnnEnsemble, BatchedRnnUniverse
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.naive import EwmaForecaster, HistoricalMeanForecaster, RollingMeanForecaster, RollingVarianceForecaster, ZeroForecaster
from signals.rnn import RnnForecaster

__all__ = ["FORECASTERS"]

#: ``type = "..."`` in a config's ``[[forecasters]]`` table, to the class it builds.
FORECASTERS: dict[str, type[BaseForecaster]] = {
    "garch": GarchForecaster,
    "har": HarForecaster,
    "ewma": EwmaForecaster,
    "rolling_variance": RollingVarianceForecaster,
    "zero": ZeroForecaster,
    "rolling_mean": RollingMeanForecaster,
    "historical_mean": HistoricalMeanForecaster,
    "ar": ArForecaster,
    "mlp": MlpForecaster,
    "rnn": RnnForecaster,
    "rnn_ensemble": BatchedRnnEnsemble,
    "rnn_universe": BatchedRnnUniverse,
}
