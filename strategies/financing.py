r"""What cash earns and what borrowing costs: daily rates for backtests and Sharpe ratios.

A strategy's cash is never idle and its leverage is never free. Uninvested
cash earns the risk-free rate; a position above 100 % of equity is paid for
with cash borrowed at the risk-free rate plus ``borrow_spread`` (a broker's
margin rate); Sharpe and Sortino ratios are of returns in excess of the
risk-free rate.

``risk_free`` is an annual rate (``0.02``), or ``"tbill"``: the one-month US
Treasury bill return of Kenneth French's data library as shipped with ``arch``
(monthly, July 1926 to November 2018). A month's rate accrues evenly over its
calendar days, and a trading day earns the calendar days since the day before
(a Monday earns the weekend):

.. math:: r_t = \prod_{d \in (t-1, t]} (1 + m_{\mathrm{month}(d)})^{1/D_{\mathrm{month}(d)}} - 1,

with :math:`m` the month's T-bill return and :math:`D` its number of calendar
days. The embedded series stops in November 2018: its last month is carried
at most :data:`CARRY_MONTHS` months further (the embedded index data ends in
December 2018), and said so; later dates need an annual rate.
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
import pandas as pd

from core.errors import ParameterError

__all__ = ["CARRY_MONTHS", "RiskFree", "daily_rates", "tbill_monthly"]

RiskFree = float | Literal["tbill"]
#: Months past the end of the embedded T-bill series that its last rate may be carried.
CARRY_MONTHS = 3


@functools.lru_cache(maxsize=1)
def tbill_monthly() -> pd.Series:
    """The one-month T-bill return per month (a fraction), indexed by monthly Period."""
    import gzip
    from importlib.resources import files

    path = files("arch.data.frenchdata").joinpath("frenchdata.csv.gz")
    with gzip.open(str(path), "rt") as fh:
        raw = pd.read_csv(fh, dtype={"Date": str})
    months = pd.PeriodIndex(pd.to_datetime(raw["Date"], format="%Y%m"), freq="M")
    return pd.Series(raw["RF"].to_numpy(dtype=float) / 100.0, index=months, name="tbill")


def _per_calendar_day(risk_free: RiskFree, index: pd.DatetimeIndex, who: str) -> tuple[np.ndarray, str]:
    """The rate per calendar day for each calendar day from the day before ``index[0]`` on,
    and a note on what was carried (empty when nothing was).
    """
    days = pd.date_range(index[0] - pd.Timedelta(days=1), index[-1], freq="D")
    if not isinstance(risk_free, str):
        return np.full(len(days), (1.0 + float(risk_free)) ** (1.0 / 365.0) - 1.0), ""
    monthly = tbill_monthly()
    months = days.to_period("M")
    first, last = monthly.index[0], monthly.index[-1]
    if months[0] < first:
        raise ParameterError(
            f"{who}: risk_free = 'tbill' starts in {first}, but the data starts {index[0].date()}. Hint: an "
            "annual rate ([strategy] risk_free = 0.03 in a config)."
        )
    note = ""
    if months[-1] > last:
        over = (months[-1] - last).n
        if over > CARRY_MONTHS:
            raise ParameterError(
                f"{who}: risk_free = 'tbill' (the one-month T-bill shipped with arch) ends in {last}, but the data "
                f"runs to {index[-1].date()}. Hint: an annual rate for those years ([strategy] risk_free = 0.04 in a "
                "config, StrategySpec(risk_free=0.04) in Python)."
            )
        note = f"the T-bill rate of {last} carried to {months[-1]} (the embedded series ends there)"
    m = monthly.reindex(months.where(months <= last, last)).to_numpy()
    return (1.0 + m) ** (1.0 / months.days_in_month.to_numpy()) - 1.0, note


def daily_rates(
    risk_free: RiskFree, index: pd.DatetimeIndex, *, spread: float = 0.0, who: str = "backtest"
) -> tuple[pd.Series, str]:
    """The simple rate earned over each trading day of ``index`` (from the close before),
    at ``risk_free`` plus ``spread`` (annual; a borrowing rate), and a note on what was carried.

    Parameters
    ----------
    risk_free : float or "tbill"
        An annual rate, or the embedded one-month T-bill (see the module docstring).
    index : DatetimeIndex, sorted trading days
    spread : float, default 0.0, annual, added to the risk-free rate
    """
    index = pd.DatetimeIndex(index)
    if len(index) == 0:
        return pd.Series(dtype=float, index=index), ""
    per_day, note = _per_calendar_day(risk_free, index, who)
    if spread:
        per_day = (1.0 + per_day) * (1.0 + spread) ** (1.0 / 365.0) - 1.0
    growth = np.concatenate([[1.0], np.cumprod(1.0 + per_day)])
    calendar = pd.date_range(index[0] - pd.Timedelta(days=1), index[-1], freq="D")
    at = calendar.get_indexer(index) + 1  # growth[k] is the growth to the end of calendar day k - 1
    prev = np.concatenate([[at[0] - 1], at[:-1]])
    return pd.Series(growth[at] / growth[prev] - 1.0, index=index, name="risk_free"), note
