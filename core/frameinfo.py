"""What a bars or feature frame says of itself, typed: :class:`FrameInfo`.

:func:`engine.data.load` and :func:`signals.features.feature_frame` describe the frame
they return (its source and symbols, the rows filled or trimmed, the time zones, the
realized-variance estimator, the VIX coverage) in one :class:`FrameInfo` kept in the
frame's ``attrs`` under :data:`KEY`, where pandas carries it through slicing and
arithmetic. Read it with :func:`frame_info`, never by ``attrs`` keys: a frame named the
old way (``frame.attrs = {"symbols": ["SPY"]}``, or a run folder written before) is read
into the same type.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["KEY", "FrameInfo", "frame_info", "set_info"]

#: The ``attrs`` key a frame's :class:`FrameInfo` is kept under.
KEY = "tradecast"


@dataclass(frozen=True)
class FrameInfo:
    """A frame's description.

    Attributes
    ----------
    source : str, the data source it was loaded from ("" when unknown)
    symbols : tuple of str, its assets, in order
    filled_rows : dict of symbol to int, rows carried forward by ``fill="ffill"``
    trimmed_rows : dict of symbol to int, empty rows dropped at the ends
    timezone : dict of symbol to str, the exchange time zone of intraday-stamped bars
    auto_adjust : bool or None, whether prices are split and dividend adjusted
    notes : tuple of str, what was assumed while loading (said in the summary)
    intraday : bool, daily bars built from intraday bars
    estimator : str or None, the realized-variance estimator of ``rv`` (feature frames)
    overnight : bool or None, whether ``rv`` adds the overnight return (feature frames)
    vix_coverage : float or None, the share of rows with a VIX close (feature frames with ``vix``)

    A description is never changed in place (its mappings are read-only by contract):
    :func:`dataclasses.replace`, :meth:`for_symbol` and :func:`set_info` make new ones.
    """

    source: str = ""
    symbols: tuple[str, ...] = ()
    filled_rows: Mapping[str, int] = field(default_factory=dict)
    trimmed_rows: Mapping[str, int] = field(default_factory=dict)
    timezone: Mapping[str, str] = field(default_factory=dict)
    auto_adjust: bool | None = None
    notes: tuple[str, ...] = ()
    intraday: bool = False
    estimator: str | None = None
    overnight: bool | None = None
    vix_coverage: float | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> FrameInfo:
        # pandas deep-copies attrs into the result of every operation; a description is
        # immutable (frozen, its mappings read-only by contract: every change builds a new
        # one), so the copy is the description itself: 5 us less on every pandas operation
        return self

    def for_symbol(self, symbol: str) -> FrameInfo:
        """The description narrowed to one asset: its own counts and time zone, and the notes
        that are not about another asset (``"OTHER: ..."``).

        pandas deep-copies ``attrs`` into the result of every operation, so a
        universe-wide description on each asset's frame would make every operation on
        it cost O(assets).
        """

        def own(d: Mapping[str, Any]) -> dict[str, Any]:
            return {symbol: d[symbol]} if symbol in d else {}

        others = tuple(f"{s}: " for s in self.symbols if s != symbol)
        return dataclasses.replace(
            self,
            symbols=(symbol,),
            notes=tuple(n for n in self.notes if not n.startswith(others)) if others else self.notes,
            filled_rows=own(self.filled_rows),
            trimmed_rows=own(self.trimmed_rows),
            timezone=own(self.timezone),
        )

    def to_json(self) -> dict[str, Any]:
        """Plain data, for a run folder's metadata."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in dataclasses.fields(self)
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FrameInfo:
        """The description in ``data`` (:meth:`to_json`'s, or a frame's ``attrs`` written the
        old way, by key); keys it does not know are left out.
        """
        values = {k: v for k, v in data.items() if k in _FIELDS}
        for k in ("symbols", "notes"):
            if k in values:
                values[k] = tuple(str(s) for s in values[k])
        for k in ("filled_rows", "trimmed_rows", "timezone"):
            if k in values:
                values[k] = dict(values[k] or {})
        return cls(**values)


def frame_info(frame: pd.DataFrame | pd.Series) -> FrameInfo:
    """The frame's :class:`FrameInfo` (an empty one when it has none).

    An entry written the old way (``frame.attrs["symbols"] = ["SPY"]``) after the
    description was set wins over it: it is what the user said last.
    """
    info = frame.attrs.get(KEY)
    old = {k: v for k, v in frame.attrs.items() if k in _FIELDS}
    if not isinstance(info, FrameInfo):
        return FrameInfo.from_json(old)
    return FrameInfo.from_json({**info.to_json(), **old}) if old else info


def set_info(frame: pd.DataFrame | pd.Series, info: FrameInfo) -> None:
    """Keep ``info`` as the frame's description (in place), replacing one written the old way."""
    frame.attrs = {**{k: v for k, v in frame.attrs.items() if k not in _FIELDS}, KEY: info}


_FIELDS = frozenset(f.name for f in dataclasses.fields(FrameInfo))
