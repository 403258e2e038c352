"""Feature frames for forecaster tests: the embedded S&P 500 and simulated GARCH(1,1)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from engine.data import load
from signals.features import feature_frame


@lru_cache(maxsize=1)
def _sp500() -> pd.DataFrame:
    return feature_frame(load("embedded:sp500", start="2003-01-01", end="2010-12-31"))


def sp500() -> pd.DataFrame:
    """S&P 500 feature frame, 2003-2010 (a copy: tests may change it)."""
    return _sp500().copy()


@lru_cache(maxsize=1)
def _nasdaq() -> pd.DataFrame:
    return feature_frame(load("embedded:nasdaq", start="2003-01-01", end="2010-12-31"))


def nasdaq() -> pd.DataFrame:
    """NASDAQ feature frame on the same dates as :func:`sp500`."""
    return _nasdaq().copy()


def simulate_garch(
    n: int, omega: float, alpha: float, beta: float, seed: int, mu: float = 0.0
) -> tuple[pd.DataFrame, pd.Series]:
    """GARCH(1,1) daily log returns with normal shocks, as a feature frame.

    Returns the frame (close, return, rv = squared return) and the true
    conditional variance of each row's return given the rows before it.
    """
    rng = np.random.default_rng(seed)
    burn = 500
    z = rng.standard_normal(n + burn)
    s2 = np.empty(n + burn)
    r = np.empty(n + burn)
    s2[0] = omega / (1 - alpha - beta)
    for t in range(n + burn):
        if t > 0:
            s2[t] = omega + alpha * (r[t - 1] - mu) ** 2 + beta * s2[t - 1]
        r[t] = mu + np.sqrt(s2[t]) * z[t]
    r, s2 = r[burn:], s2[burn:]
    idx = pd.bdate_range("2000-01-03", periods=n, name="date")
    frame = pd.DataFrame({"close": 100 * np.exp(np.cumsum(r)), "return": r, "rv": r**2}, index=idx)
    frame.iloc[0, frame.columns.get_loc("return")] = np.nan  # as log_returns gives
    frame.iloc[0, frame.columns.get_loc("rv")] = np.nan
    return frame, pd.Series(s2, index=idx, name="true_variance")
