"""Forecasters for engine tests: importable by worker and subprocess alike."""

from __future__ import annotations

import os
import time

import numpy as np

from signals.base import BaseForecaster
from signals.har import HarForecaster


class LoggedHar(HarForecaster):
    """A HAR that appends one line per fit to $TRADECAST_FIT_LOG (the training data's last
    date and the fitting process's id) and can be slowed down.
    """

    def __init__(
        self, *, lags: tuple[int, ...] = (1, 5, 22), log: bool = False, horizon: int = 1, delay: float = 0.0
    ) -> None:
        super().__init__(lags=lags, log=log, horizon=horizon)
        self.delay = delay

    def _fit(self, frame, y, warm_start=None) -> None:
        path = os.environ.get("TRADECAST_FIT_LOG")
        if path:
            with open(path, "a") as fh:
                fh.write(f"{frame.index[-1].date()} {os.getpid()}\n")
        time.sleep(self.delay)
        super()._fit(frame, y)


class Leaky(BaseForecaster):
    """Forecasts a date with that date's own rv: the bug the audit exists for."""

    def __init__(self, *, horizon: int = 1) -> None:
        self.horizon = horizon

    def _columns(self):
        return ["rv"]

    def _fit(self, frame, y, warm_start=None) -> None:
        pass

    def _forecast(self, frame, origins):
        rv = frame["rv"].to_numpy()
        return rv[np.minimum(origins + 1, len(rv) - 1)]


class CoreCounter(HarForecaster):
    """A HAR that reports, as a diagnostic, the cores its fit was lent (:func:`core.threads.available_cores`)."""

    def _fit(self, frame, y, warm_start=None) -> None:
        from core.threads import available_cores

        self.cores_ = available_cores()
        super()._fit(frame, y)

    def diagnostics(self) -> dict[str, float]:
        return {**super().diagnostics(), "cores": float(self.cores_)}
