r"""A synthetic universe with stock-like volatility, for trying universe runs offline.

``simulated:20`` (a data source of :func:`engine.data.load`) gives 20 assets
of daily OHLCV bars on one business-day calendar, 2000-01-03 to 2018-12-31,
from a seeded one-factor stochastic-volatility model:

.. math::

    \log v_{i,t} = \mu_i + \beta_i m_t + u_{i,t}, \qquad
    m_t = \phi_m m_{t-1} + \eta_t - \lambda z^{(m)}_{t-1}, \qquad
    u_{i,t} = \phi_u u_{i,t-1} + \epsilon_{i,t},

with a market log-variance factor :math:`m` (persistence 0.985, a leverage
term :math:`\lambda` so falls raise volatility), idiosyncratic parts :math:`u`,
and returns :math:`r_{i,t} = \sqrt{v_{i,t}}\,(\rho_i z^{(m)}_t +
\sqrt{1 - \rho_i^2}\, e_{i,t})` whose correlation with the market is
:math:`\rho_i \in [0.4, 0.8]`. Each day is walked in 26 intraday steps (plus
an overnight gap of a tenth of the variance), which gives the open, high, low
and close, so every range estimator has something to measure; volume is
log-normal and rises with variance. The same ``seed`` gives the same bars on
any machine (NumPy's PCG64).

It is a test bed, not a market: use it to see how a universe run behaves (the
portfolio, the universe leaderboard, pooled training, report size) before
pointing the config at your own data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulated_universe"]

_STEPS = 26  # intraday steps per day (15-minute bars of a 6.5-hour session)
_BLOCK_VALUES = 8_000_000  # intraday steps drawn at once (64 MB), whatever the universe's size
#: The largest universe simulated: the daily arrays of 5,000 assets over 19 years take about 2 GB.
MAX_ASSETS = 5000


def simulated_universe(
    n_assets: int, *, start: str = "2000-01-03", end: str = "2018-12-31", seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Daily OHLCV bars of ``n_assets`` synthetic stocks on one calendar.

    Parameters
    ----------
    n_assets : int >= 1
    start, end : str, ISO dates of the business-day calendar
    seed : int, default 0

    Returns
    -------
    dict of symbol (``S01``, ``S02``, ...) to DataFrame indexed by ``date`` with
    ``open, high, low, close, volume``.
    """
    if isinstance(n_assets, bool) or not isinstance(n_assets, int) or not 1 <= n_assets <= MAX_ASSETS:
        raise ValueError(f"simulated_universe: n_assets must be an integer in 1..{MAX_ASSETS}; got {n_assets!r}.")
    dates = pd.bdate_range(start, end, name="date")
    T, n = len(dates), n_assets
    rng = np.random.default_rng(seed)
    mu = np.log(rng.uniform(0.15, 0.45, n) ** 2 / 252)  # annual vols of 15 to 45 %
    beta = rng.uniform(0.6, 1.2, n)
    rho = rng.uniform(0.4, 0.8, n)
    zm = rng.standard_normal(T)
    m = np.zeros(T)
    for t in range(1, T):
        m[t] = 0.985 * m[t - 1] + 0.12 * rng.standard_normal() - 0.05 * zm[t - 1]
    u = np.zeros((T, n))
    eps = 0.15 * rng.standard_normal((T, n))
    for t in range(1, T):
        u[t] = 0.95 * u[t - 1] + eps[t]
    v = np.exp(mu + beta * m[:, None] + u - 0.5 * (beta**2 * 0.12**2 / (1 - 0.985**2)))
    z = rho * zm[:, None] + np.sqrt(1 - rho**2) * rng.standard_normal((T, n))
    z_night = rho * rng.standard_normal(T)[:, None] + np.sqrt(1 - rho**2) * rng.standard_normal((T, n))
    overnight = np.sqrt(0.1 * v) * z_night
    session, top, bottom = _intraday(rng, v, z)
    log_close = np.cumsum(overnight + session, axis=0) + np.log(rng.uniform(20, 200, n))
    log_open = log_close - session
    high = log_open + np.maximum(top, 0.0)
    low = log_open + np.minimum(bottom, 0.0)
    volume = np.exp(14 + 0.5 * (np.log(v) - mu) + 0.3 * rng.standard_normal((T, n)))
    out = {}
    for i in range(n):
        out[f"S{i + 1:02d}"] = pd.DataFrame(
            {
                "open": np.exp(log_open[:, i]),
                "high": np.exp(high[:, i]),
                "low": np.exp(low[:, i]),
                "close": np.exp(log_close[:, i]),
                "volume": np.round(volume[:, i]),
            },
            index=dates,
        )
    return out


def _intraday(rng: np.random.Generator, v: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each day's intraday path of every asset, from ``rng``'s next (days, assets, steps) normal
    draws: the session's return, its highest and its lowest point, each (days, assets).

    The draws come in blocks of days, in the order of one (days, assets, steps) array, which at
    3,000 assets over 19 years would be 3 GB (and its running sum as much again).
    """
    T, n = v.shape
    session, top, bottom = np.empty((T, n)), np.empty((T, n)), np.empty((T, n))
    block = max(1, _BLOCK_VALUES // (n * _STEPS))
    for t0 in range(0, T, block):
        rows = slice(t0, min(T, t0 + block))
        steps = rng.standard_normal((rows.stop - rows.start, n, _STEPS))
        steps = steps / np.sqrt(_STEPS) * np.sqrt(0.9 * v[rows])[:, :, None]
        # the intraday path ends at the day's return: shift the steps so their sum is the
        # session's share of z (keeps the cross-asset correlation of the daily returns)
        steps += (np.sqrt(0.9 * v[rows]) * z[rows] - steps.sum(axis=2))[:, :, None] / _STEPS
        path = np.cumsum(steps, axis=2)
        session[rows], top[rows], bottom[rows] = path[:, :, -1], path.max(axis=2), path.min(axis=2)
    return session, top, bottom
