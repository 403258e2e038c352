"""One schema per table: its columns, those shown at once, those the terminal prints, its caption.

The terminal (:mod:`engine.terminal`), the report (:mod:`reports.html`) and the code
that builds each table (:mod:`strategies.evaluate`, :mod:`strategies.portfolio`,
:mod:`reports.leaderboards`) read the same :class:`TableSchema`, so a column added to
a table is shown everywhere it should be, or nowhere, never in one place only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TableSchema"]


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
