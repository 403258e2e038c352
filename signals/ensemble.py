r"""Average of several forecasters: seeds of one network, or different cells and models.

.. math:: \hat y_t = \frac1M \sum_{m=1}^{M} \hat y^{(m)}_t

Each member is fitted on the same rows; the forecast for a date is the mean of
the members' forecasts for it (NaN where any member has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from typing_extensions import override

from core.errors import ParameterError
from signals.base import BaseForecaster, Target, VarianceOf

__all__ = ["EnsembleForecaster"]


@dataclass(kw_only=True, eq=False, repr=False)
class EnsembleForecaster(BaseForecaster):
    """Equal-weight ensemble of forecasters with one target and horizon.

    Parameters
    ----------
    members : sequence of forecasters
        Unfitted; each is cloned at fit time.
    label : str, default "ensemble"
        The ensemble's name in tables.

    Attributes
    ----------
    members_ : list of the fitted members
    """

    supported_targets = ("variance", "return", "price")

    @override
    def n_parameters(self) -> int:
        return int(sum(m.n_parameters() for m in self.members_))

    members: Sequence[BaseForecaster] = ()
    label: str = "ensemble"

    @property
    @override
    def name(self) -> str:
        return self.label

    @property
    @override
    def target(self) -> Target:  # type: ignore[override]
        return self.members[0].target if self.members else "variance"

    @property
    @override
    def horizon(self) -> int:  # type: ignore[override]
        return self.members[0].horizon if self.members else 1

    @property
    @override
    def variance_of(self) -> VarianceOf:  # type: ignore[override]
        kinds: set[VarianceOf] = {getattr(m, "variance_of", "target") for m in self.members}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    @override
    def relative_cost(self) -> float:  # type: ignore[override]
        return float(sum(getattr(m, "relative_cost", 1.0) for m in self.members))

    def _check_params(self) -> None:
        if not self.members:
            raise ParameterError("EnsembleForecaster: members must hold at least one forecaster.")
        kinds = {(m.target, m.horizon) for m in self.members}
        if len(kinds) > 1:
            raise ParameterError(f"EnsembleForecaster: members must share target and horizon; got {sorted(kinds)}.")
        for m in self.members:
            m.validate_params()

    def _columns(self) -> list[str]:
        return sorted({c for m in self.members for c in m._columns()})

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: BaseForecaster | None = None) -> None:
        self.members_ = [m.clone().fit(frame) for m in self.members]

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        return np.mean([m._forecast(frame, origins) for m in self.members_], axis=0)
