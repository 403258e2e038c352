"""Walk-forward folds: train on the past, test on the next block, move on.

Example
-------
Yearly refits from 2008 on daily data, expanding window::

    >>> import pandas as pd
    >>> from engine.splits import WalkForward
    >>> dates = pd.bdate_range("2005-01-03", "2010-12-31")
    >>> for fold in WalkForward(start="2008-01-01", refit_every="year").split(dates):
    ...     print(fold)
    fold 0: train 2005-01-03..2007-12-31 (781 rows) | test 2008-01-01..2008-12-31 (262 rows)
    fold 1: train 2005-01-03..2008-12-31 (1043 rows) | test 2009-01-01..2009-12-31 (261 rows)
    fold 2: train 2005-01-03..2009-12-31 (1304 rows) | test 2010-01-01..2010-12-31 (261 rows)

Test blocks are contiguous, disjoint and cover every date from ``start`` to the
end. A fold's model sees only its training rows.

Embargo
-------
A forecaster builds its training targets inside the rows it is given: the
target of origin ``s`` at horizon ``h`` uses rows ``s+1 .. s+h``, so the last
``h`` training rows carry no target and no training target reaches the test
block. That is the horizon's embargo, and it is always in force.
``embargo=k`` (default 0) additionally drops the ``k`` rows just before each
test block from training, for features that themselves span several days.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.checks import check_choice, check_int, check_number, is_int
from core.errors import ParameterError, TradecastDeprecationWarning

__all__ = [
    "Fold",
    "Refits",
    "Rule",
    "Schedule",
    "WalkForward",
    "Window",
    "check_fold_keys",
    "check_restart_keys",
    "segment_bounds",
    "start_date",
]

Window = Literal["expanding", "rolling"]
Rule = Literal["month", "quarter", "year"]
#: How a model's refits start: from scratch, or from the previous fold's fit.
Refits = Literal["cold", "warm"]
_PERIOD = {"month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class Fold:
    """One fold, as row positions (half-open ``[start, stop)``) and dates.

    Attributes
    ----------
    id : int
    train : slice, rows given to ``fit``
    test : slice, rows whose dates are forecast
    train_dates, test_dates : (first, last) dates
    """

    id: int
    train: slice
    test: slice
    train_dates: tuple[pd.Timestamp, pd.Timestamp]
    test_dates: tuple[pd.Timestamp, pd.Timestamp]

    @property
    def train_rows(self) -> int:
        """Rows in the training slice (a forecaster's ``n_train_`` counts the training
        targets it used, which can be fewer: warm-up rows and the horizon's tail).
        """
        return self.train.stop - self.train.start

    @property
    def n_train(self) -> int:
        """Deprecated spelling of :attr:`train_rows` (``n_train`` now means only training samples)."""
        warnings.warn(
            "Fold.n_train is deprecated (renamed so that each name has one meaning); use Fold.train_rows.",
            TradecastDeprecationWarning,
            stacklevel=2,
        )
        return self.train_rows

    @property
    def n_test(self) -> int:
        """Rows in the test slice."""
        return self.test.stop - self.test.start

    def __str__(self) -> str:
        (a, b), (c, d) = self.train_dates, self.test_dates
        return (
            f"fold {self.id}: train {a.date()}..{b.date()} ({self.train_rows} rows) | "
            f"test {c.date()}..{d.date()} ({self.n_test} rows)"
        )


@dataclass(frozen=True)
class WalkForward:
    """Walk-forward splitter.

    Parameters
    ----------
    start : date-like or int
        First test date (the first trading date on or after it), or the row
        position of the first test row.
    refit_every : int or {"month", "quarter", "year"}, default "year"
        Rows per test block, or a calendar period per test block.
    window : {"expanding", "rolling"}, default "expanding"
        Train on all rows before the block, or on the last ``train_length``.
    train_length : int, optional
        Rows in a rolling window (required for ``window="rolling"``).
    min_train : int, default 252
        Fewest training rows accepted for a fold.
    embargo : int, default 0
        Extra rows dropped between the training rows and each test block (the
        horizon's own embargo is built in; see the module docstring).
    train_fraction : float in (0, 1), optional
        Instead of ``start`` (pass ``start=None``): one chronological split, the
        first ``floor(train_fraction * n)`` rows to train on and the rest to test,
        with no refit (``refit_every`` is not used).

    A ``start`` string that is a bare number (``"2008"``, ``"1000"``) is
    refused: write a date (``"2008-01-01"``) or pass the row as an int.
    """

    start: str | pd.Timestamp | int | None
    refit_every: int | Rule = "year"
    window: Window = "expanding"
    train_length: int | None = None
    min_train: int = 252
    embargo: int = 0
    train_fraction: float | None = None

    def _check(self) -> None:
        check_fold_keys(
            "WalkForward",
            refit_every=self.refit_every,
            window=self.window,
            train_length=self.train_length,
            min_train=self.min_train,
            embargo=self.embargo,
        )

    def _first_test_row(self, index: pd.DatetimeIndex) -> int:
        if self.train_fraction is not None:
            if self.start is not None:
                raise ParameterError(
                    f"WalkForward: give start or train_fraction, not both; got start={self.start!r}, "
                    f"train_fraction={self.train_fraction!r}. Hint: start=None with train_fraction."
                )
            check_number(
                "WalkForward", "train_fraction", self.train_fraction, lambda v: 0 < v < 1, "in (0, 1), such as 0.8"
            )
            return max(1, min(len(index) - 1, int(np.floor(self.train_fraction * len(index)))))
        if self.start is None:
            raise ParameterError(
                "WalkForward: start is None; give the first test date ('2008-01-01'), its row, or train_fraction."
            )
        if is_int(self.start):
            if not 0 < self.start < len(index):
                raise ParameterError(
                    f"WalkForward: start={self.start} must be a row inside the data (1..{len(index) - 1})."
                )
            return int(self.start)
        ts = start_date("WalkForward", self.start)
        pos = int(index.searchsorted(ts, side="left"))
        if pos >= len(index):
            raise ParameterError(
                f"WalkForward: start={ts.date()} is after the last date {index[-1].date()}. Hint: an earlier start."
            )
        return pos

    def split(self, index: pd.DatetimeIndex) -> list[Fold]:
        """The folds for a sorted date index.

        Raises
        ------
        ParameterError
            Bad settings, or a fold with fewer than ``min_train`` training rows.
        """
        self._check()
        index = pd.DatetimeIndex(index)
        first = self._first_test_row(index)
        n = len(index)
        if self.train_fraction is not None:
            bounds = [first, n]
        elif isinstance(self.refit_every, str):
            periods = index[first:].to_period(_PERIOD[self.refit_every]).asi8
            changes = np.flatnonzero(np.diff(periods)) + 1
            bounds = [first, *(first + changes).tolist(), n]
        else:
            bounds = list(range(first, n, int(self.refit_every))) + [n]
        folds = []
        for k, (a, b) in enumerate(itertools.pairwise(bounds)):
            stop = a - self.embargo
            # _check refuses a rolling window without a train_length
            lo = 0 if self.window == "expanding" or self.train_length is None else max(0, stop - self.train_length)
            if stop - lo < self.min_train:
                raise ParameterError(
                    f"WalkForward: fold {k} (test from {index[a].date()}) has {max(stop - lo, 0)} training rows, fewer "
                    f"than min_train={self.min_train}. Hint: a later start, a smaller min_train or a smaller embargo."
                )
            folds.append(Fold(k, slice(lo, stop), slice(a, b), (index[lo], index[stop - 1]), (index[a], index[b - 1])))
        return folds

    def describe(self, index: pd.DatetimeIndex) -> str:
        """The folds, one line each."""
        return "\n".join(str(f) for f in self.split(index))


@dataclass(frozen=True)
class Schedule:
    """A model's own refit schedule: its folds, and how its refits start.

    Parameters
    ----------
    splitter : WalkForward
        The model's folds; they must test the rows the run's shared splitter tests.
    refits : {"cold", "warm"} or None, default None
        "warm": each fold starts from the previous fold's fit (a network's few
        epochs on the newest rows); None: as ``walk_forward``'s ``refits``.
    cold_every : {"month", "quarter", "year"} or None, default None
        With warm refits, a full refit from scratch at the first fold of each such
        calendar period (a network updated monthly from its last weights and
        retrained every year); None: warm all along.

    Example: a GRU refit in full every year and updated from its last weights
    every month, ``Schedule(WalkForward(start="2008-01-01", refit_every="month"),
    refits="warm", cold_every="year")``.
    """

    splitter: WalkForward
    refits: Refits | None = None
    cold_every: Rule | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.splitter, WalkForward):
            raise ParameterError(f"Schedule: splitter must be a WalkForward; got {type(self.splitter).__name__}.")
        check_restart_keys("Schedule", refits=self.refits, cold_every=self.cold_every)

    def cold_starts(self, index: pd.DatetimeIndex, folds: list[Fold]) -> list[bool]:
        """Per fold, whether it starts a new period of ``cold_every`` (the first fold always does)."""
        if self.cold_every is None:
            return [k == 0 for k in range(len(folds))]
        periods = index[[f.test.start for f in folds]].to_period(_PERIOD[self.cold_every]).asi8
        return [k == 0 or periods[k] != periods[k - 1] for k in range(len(folds))]


def check_fold_keys(
    who: str, *, refit_every: Any, window: Any, train_length: Any, min_train: Any, embargo: Any
) -> None:
    """The keys that shape the folds, checked once for every place that sets them: a
    :class:`WalkForward`, ``[walkforward]`` and a forecaster's ``[forecasters.schedule]``
    (``who`` names the place in the message).
    """
    check_choice(who, "window", window, ("expanding", "rolling"))
    if is_int(refit_every):
        check_int(who, "refit_every", refit_every, 1)
    else:
        check_choice(who, "refit_every", refit_every, ("month", "quarter", "year"))
    check_int(who, "min_train", min_train, 1)
    check_int(who, "embargo", embargo, 0)
    if window == "rolling":
        check_int(who, "train_length", train_length, 1, hint="window='rolling' needs train_length, e.g. 1000 rows.")
    elif train_length is not None:
        raise ParameterError(
            f"{who}: train_length={train_length!r} applies to window='rolling' only; got "
            "window='expanding'. Hint: drop train_length or set window='rolling'."
        )


def check_restart_keys(who: str, *, refits: Any, cold_every: Any) -> None:
    """A model's own ``refits`` and ``cold_every`` (see :class:`Schedule`)."""
    if refits is not None:
        check_choice(who, "refits", refits, ("cold", "warm"))
    if cold_every is not None:
        check_choice(who, "cold_every", cold_every, ("month", "quarter", "year"))
        if refits == "cold":
            raise ParameterError(
                f"{who}: cold_every={cold_every!r} restarts a chain of warm refits, but refits='cold' "
                "refits every fold from scratch already. Hint: refits='warm'."
            )


def start_date(who: str, start: Any) -> pd.Timestamp:
    """A first test date given as a date: refused as a bare number (``"2008"`` would be read as
    a year) or as what is not a date.
    """
    if isinstance(start, str) and start.strip().isdigit():
        raise ParameterError(
            f"{who}: start={start!r} is a bare number, which would be read as the year "
            f"{start.strip()}. Hint: write a date such as '{start.strip()}-01-01' for the year, or "
            f"give the row number as an integer (start_row = {start.strip()} in a config)."
        )
    try:
        return pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{who}: start must be a date such as '2008-01-01' or a row number; got {start!r}."
        ) from None


def segment_bounds(index: pd.DatetimeIndex, folds: list[Fold], cuts: list[bool] | None = None) -> list[list[int]]:
    """Consecutive folds grouped by the calendar year of their first test date, and cut
    again before any fold with ``cuts[k]``: the walk-forward runs each group as one job
    and keeps it in one file per symbol (a daily schedule's 252 refits of a year, not
    252 files). A yearly schedule gives one fold per group.
    """
    years = index[[f.test.start for f in folds]].year
    groups: list[list[int]] = []
    for k in range(len(folds)):
        if not groups or years[k] != years[k - 1] or (cuts is not None and cuts[k]):
            groups.append([])
        groups[-1].append(k)
    return groups
