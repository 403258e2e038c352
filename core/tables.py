"""Tables: one schema per table, and a scored table with the days it was scored on.

The terminal (:mod:`engine.terminal`), the report (:mod:`reports.html`) and the code
that builds each table (:mod:`strategies.evaluate`, :mod:`strategies.portfolio`,
:mod:`reports.leaderboards`) read the same :class:`TableSchema`, so a column added to
a table is shown everywhere it should be, or nowhere, never in one place only.

A table whose rows are all scored on one common window of days (the strategy,
threshold, portfolio and VaR tables) travels as a :class:`ScoredTable`: the table and
its :class:`Window`, typed, instead of ``DataFrame.attrs`` entries that pandas may
drop or copy along the way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

__all__ = ["ScoredTable", "TableSchema", "Window"]


@dataclass(frozen=True)
class Window:
    """A run of trading days: the first, the last and how many.

    Attributes
    ----------
    first, last : Timestamp
    days : int, the trading days from ``first`` to ``last``, both included
    """

    first: pd.Timestamp
    last: pd.Timestamp
    days: int

    @classmethod
    def of(cls, index: pd.Index) -> Window | None:
        """The window an index of days spans (None for no days)."""
        return cls(pd.Timestamp(index[0]), pd.Timestamp(index[-1]), len(index)) if len(index) else None

    def span(self) -> str:
        """``"2519 days, 2008-12-30 to 2018-12-31"``."""
        return f"{self.days} days, {self.first.date()} to {self.last.date()}"

    def dates(self) -> str:
        """``"2008-12-30 to 2018-12-31"``."""
        return f"{self.first.date()} to {self.last.date()}"


@dataclass(frozen=True)
class ScoredTable:
    """A table whose every row is scored on the same days.

    Attributes
    ----------
    table : DataFrame
    window : Window or None, the days every row is scored on (None: no common day)
    validation : Window or None
        Where a table's choices were made before it was scored (a threshold grid's
        validation rows), when they were.
    """

    table: pd.DataFrame
    window: Window | None
    validation: Window | None = None


@dataclass(frozen=True)
class TableSchema:
    """A table's layout.

    Attributes
    ----------
    columns : the columns in order (what the table holds)
    main : those a report shows at once; the others are one click away. A name ending
        in ``*`` stands for every present column it prefixes (``qlike_vs_*``).
    terminal : those the terminal prints (patterns as in ``main``); empty: all
    caption : one line on what the table says, for the terminal
    note : a paragraph on reading its columns, for the report
    """

    columns: tuple[str, ...]
    main: tuple[str, ...]
    terminal: tuple[str, ...] = ()
    caption: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        fixed = [c for c in (*self.main, *self.terminal) if not c.endswith("*")]
        unknown = [c for c in fixed if c not in self.columns and c not in _SHARED]
        if unknown:
            raise ValueError(f"TableSchema: {unknown} are shown but not among the columns {self.columns}.")

    def main_of(self, present: Iterable[str]) -> list[str]:
        """The main columns among ``present``, patterns expanded, in schema order."""
        return _expand(self.main, list(present))

    def terminal_of(self, present: Iterable[str]) -> list[str]:
        """The terminal's columns among ``present`` (all of them without a terminal list)."""
        present = list(present)
        return _expand(self.terminal, present) if self.terminal else present


#: Columns every leaderboard has beside its scores (what is forecast, and the group it is ranked in).
_SHARED = ("target", "horizon", "level", "in_mcs", "smearing")


def _expand(names: tuple[str, ...], present: list[str]) -> list[str]:
    out: list[str] = []
    for c in names:
        found = sorted(x for x in present if x.startswith(c[:-1])) if c.endswith("*") else [c] if c in present else []
        out += [x for x in found if x not in out]
    return out
