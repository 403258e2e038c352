"""Forecaster classes by the short type names that configs use.

The registry is lazy: a class's module is imported the first time its name is
looked up, so that reading a config of GARCH and HAR models (or ``tradecast
--help``) never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from signals.base import BaseForecaster

__all__ = ["FORECASTERS"]

_WHERE: dict[str, str] = {
    "garch": "signals.garch:GarchForecaster",
    "har": "signals.har:HarForecaster",
    "harx": "signals.harx:HarxForecaster",
    "ewma": "signals.naive:EwmaForecaster",
    "rolling_variance": "signals.naive:RollingVarianceForecaster",
    "zero": "signals.naive:ZeroForecaster",
    "rolling_mean": "signals.naive:RollingMeanForecaster",
    "historical_mean": "signals.naive:HistoricalMeanForecaster",
    "ar": "signals.autoreg:ArForecaster",
    "mlp": "signals.autoreg:MlpForecaster",
    "rnn": "signals.rnn:RnnForecaster",
    "rnn_ensemble": "signals.batched:BatchedRnnEnsemble",
    "rnn_universe": "signals.batched:BatchedRnnUniverse",
    "hybrid": "signals.hybrid:HybridForecaster",
    "search": "signals.search:SearchForecaster",
}


class _Registry(Mapping[str, type[BaseForecaster]]):
    """A read-only mapping of type name to class that imports each class on first use."""

    def __getitem__(self, name: str) -> type[BaseForecaster]:
        module, _, cls = _WHERE[name].partition(":")
        return getattr(importlib.import_module(module), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


#: ``type = "..."`` in a config's ``[[forecasters]]`` table, to the class it builds.
FORECASTERS: Mapping[str, type[BaseForecaster]] = _Registry()
