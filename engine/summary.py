"""A readable summary of loaded bars: rows, dates, gaps, volatility by estimator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.frameinfo import frame_info
from engine.data import by_symbol
from signals.features import ESTIMATORS, OHLC_ESTIMATORS, TRADING_DAYS, annual_vol, realized_variance

__all__ = ["TRADING_DAYS", "SymbolSummary", "format_summary", "summarize"]


@dataclass(frozen=True)
class SymbolSummary:
    r"""Facts about one symbol's bars.

    Attributes
    ----------
    ann_vol : dict
        Annualised volatility per estimator, :math:`\sqrt{252\,\overline{\hat\sigma^2}}`
        (a fraction: 0.15 is 15 %); only estimators the data supports.
    longest_break_days : int
        Most calendar days between two consecutive bars (3 for a weekend).
    """

    symbol: str
    rows: int
    first: pd.Timestamp
    last: pd.Timestamp
    fields: tuple[str, ...]
    filled_rows: int
    longest_break_days: int
    longest_break_after: pd.Timestamp | None
    ann_vol: dict[str, float]


def summarize(bars: pd.DataFrame) -> list[SymbolSummary]:
    """One :class:`SymbolSummary` per symbol of a frame from :func:`engine.data.load`."""
    out = []
    filled = frame_info(bars).filled_rows
    for sym, b in by_symbol(bars).items():
        ohlc = all(c in b.columns for c in ("open", "high", "low"))
        vols: dict[str, float] = {}
        for est in ESTIMATORS:
            if (est in OHLC_ESTIMATORS and not ohlc) or len(b) < 2:
                continue
            vols[est] = float(annual_vol(realized_variance(b, est).mean()))
        gaps = np.diff(b.index.values).astype("timedelta64[D]").astype(int) if len(b) > 1 else np.array([0])
        i = int(np.argmax(gaps))
        out.append(
            SymbolSummary(
                symbol=sym,
                rows=len(b),
                first=b.index[0],
                last=b.index[-1],
                fields=tuple(b.columns),
                filled_rows=int(filled.get(sym, 0)),
                longest_break_days=int(gaps[i]),
                longest_break_after=b.index[i] if len(b) > 1 else None,
                ann_vol=vols,
            )
        )
    return out


def format_summary(bars: pd.DataFrame) -> str:
    """Plain-text summary for the terminal."""
    rows = summarize(bars)
    info = frame_info(bars)
    lines = [f"source   {info.source or '?'}", f"symbols  {len(rows)}: {', '.join(r.symbol for r in rows)}"]
    for note in info.notes:
        lines.append(f"note     {note}")
    for r in rows:
        lines.append("")
        lines.append(f"{r.symbol}")
        lines.append(f"  rows            {r.rows}")
        lines.append(f"  dates           {r.first.date()} to {r.last.date()}")
        lines.append(f"  fields          {', '.join(r.fields)}")
        lines.append(f"  filled rows     {r.filled_rows}")
        if r.longest_break_after is not None:
            lines.append(
                f"  longest break   {r.longest_break_days} calendar days, after {r.longest_break_after.date()}"
            )
        lines.append("  annualised volatility by estimator")
        for est, v in r.ann_vol.items():
            lines.append(f"    {est:<16} {100 * v:6.2f} %")
        missing = [e for e in ESTIMATORS if e not in r.ann_vol]
        if missing:
            lines.append(f"    (close only: {', '.join(missing)} need open, high and low)")
    return "\n".join(lines)
