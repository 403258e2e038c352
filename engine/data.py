"""Market data in: one entry point, :func:`load`, returning validated daily OHLCV bars.

Sources
-------
``embedded:sp500``, ``embedded:nasdaq``
    Daily OHLCV 1999-01-04 to 2018-12-31, shipped inside the ``arch`` package.
``embedded:vix``
    VIX close 2014-01-03 to 2019-01-03 (close only), shipped inside ``arch``.
``yfinance:SPY`` or ``yfinance:AAPL,MSFT``
    Downloaded with yfinance and cached as parquet (see :mod:`engine.yahoo`).
``simulated:20``
    A seeded synthetic universe of 20 (or any number of) stocks, 2000-2018
    (:mod:`engine.simulate`): a test bed for universe runs offline, not a market.
``csv:PATH`` and ``parquet:PATH``
    Your own file: one symbol, or many in *long* form (a ``symbol``/``ticker``
    column), in *wide* form (two-level columns ``(symbol, field)`` or
    ``(field, symbol)``, as yfinance writes them), or wide close-only (a date
    column and one price column per symbol). Column names are matched
    case-insensitively (``Adj Close``, ``adj_close`` and ``adjclose`` are the
    same). Close alone is enough; estimators that need OHLC refuse it clearly.

What comes back
---------------
One symbol: a DataFrame indexed by ``date`` (tz-naive, sorted, unique) with
float columns among ``open, high, low, close, volume`` (``close`` always).
A universe: the same fields under two-level columns ``(symbol, field)``,
aligned on the union of the symbols' dates; a symbol's rows before its first
or after its last bar are NaN (not listed yet, or delisted).
:func:`core.frameinfo.frame_info` gives what the frame says of itself, typed: the
source, symbols, rows filled and trimmed, time zones and the adjustment.

Validation
----------
Bad input raises :class:`DataError` naming what was found, where and how to
fix it; nothing is repaired silently. ``fill="ffill"`` is the one opt-in
repair: a missing bar becomes the flattest bar consistent with what is known
(prices at the previous close, volume 0), and the count is reported in
``frame_info(frame).filled_rows`` and by a :class:`DataWarning`.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import importlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from core.errors import DataError, DataWarning, ParameterError
from core.frameinfo import FrameInfo, frame_info, set_info
from signals.features import by_symbol, symbols
from signals.intraday import Overnight

__all__ = [
    "FIELDS",
    "SOURCES",
    "DataError",
    "DataSpec",
    "DataWarning",
    "Fill",
    "by_symbol",
    "load",
    "symbols",
    "validate",
]

Fill = Literal["error", "ffill"]
FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICES: tuple[str, ...] = ("open", "high", "low", "close")
_KNOWN = frozenset(FIELDS) | {"adj_close"}
SOURCES = (
    "embedded:sp500",
    "embedded:nasdaq",
    "embedded:vix",
    "yfinance:TICKER[,TICKER...]",
    "csv:PATH",
    "parquet:PATH",
    "simulated:N_ASSETS",
)
_EMBEDDED = {
    "sp500": ("arch.data.sp500", "SP500"),
    "nasdaq": ("arch.data.nasdaq", "NASDAQ"),
    "vix": ("arch.data.vix", "VIX"),
}
#: Relative tolerance of the high/low consistency checks: vendors round
#: adjusted prices, and a 1e-6 relative excursion is rounding, not bad data.
OHLC_RTOL = 1e-6

_ALIASES = {
    "adj close": "adj_close",
    "adjclose": "adj_close",
    "adjusted close": "adj_close",
    "vol": "volume",
    "datetime": "date",
    "timestamp": "date",
    "time": "date",
    "day": "date",
    "ticker": "symbol",
    "asset": "symbol",
    "instrument": "symbol",
}


def _canon(name: object) -> str:
    s = re.sub(r"[\s_\-.]+", " ", str(name).strip().lower()).strip()
    return _ALIASES.get(s, s)


# --------------------------------------------------------------------------- sources


def _parse_source(source: str) -> tuple[str, str]:
    if not isinstance(source, str) or not source.strip():
        raise DataError(
            f"source must be a string such as 'embedded:sp500'; got {source!r}. Valid forms: {', '.join(SOURCES)}."
        )
    source = source.strip()
    scheme, sep, rest = source.partition(":")
    scheme = scheme.lower()
    if sep and scheme in ("embedded", "yfinance", "csv", "parquet", "simulated"):
        if not rest.strip():
            raise DataError(
                f"source {source!r} names no {'path' if scheme in ('csv', 'parquet') else 'dataset'}. Valid forms: "
                f"{', '.join(SOURCES)}."
            )
        return scheme, rest.strip()
    suffix = Path(source).suffix.lower()
    if suffix in (".csv", ".parquet", ".pq"):
        return ("csv" if suffix == ".csv" else "parquet"), source
    raise DataError(
        f"source {source!r} is not recognised. Valid forms: {', '.join(SOURCES)}. "
        f"Hint: a file path needs the prefix 'csv:' or 'parquet:' unless it ends in .csv or .parquet."
    )


def _load_embedded(name: str) -> tuple[dict[str, pd.DataFrame], list[str]]:
    key = name.lower()
    if key not in _EMBEDDED:
        raise DataError(
            f"embedded dataset {name!r} does not exist; choose one of {', '.join('embedded:' + k for k in _EMBEDDED)}."
        )
    module, symbol = _EMBEDDED[key]
    raw = importlib.import_module(module).load()
    notes: list[str] = []
    if key == "vix":
        # arch's VIX file lists US market holidays as empty rows: they are not
        # trading days, so they are dropped (and said so), not filled.
        empty = raw["vix"].isna()
        raw = raw.loc[~empty].rename(columns={"vix": "close"})
        notes.append(f"dropped {int(empty.sum())} market-holiday rows with no VIX value")
    return {symbol: raw}, notes


def _load_simulated(rest: str) -> tuple[dict[str, pd.DataFrame], list[str]]:
    from engine.simulate import MAX_ASSETS, simulated_universe

    if not re.fullmatch(r"\d{1,5}", rest) or not 1 <= int(rest) <= MAX_ASSETS:
        raise DataError(
            f"source 'simulated:{rest}' needs a number of assets from 1 to {MAX_ASSETS:,} after the colon. "
            "Hint: simulated:20."
        )
    n = int(rest)
    return simulated_universe(n), [f"a seeded synthetic universe of {n} assets (engine.simulate), not market data"]


def _read_text(path: Path) -> str:
    """The file's text: gzip-compressed or not, UTF-8 with or without a BOM; other
    encodings are refused with how to re-encode them.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(
                f"{path} is a damaged gzip file ({exc}). Hint: download it again, or gunzip it to see what is left."
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}; Excel and older tools "
            f"write Latin-1 or Windows-1252). Hint: re-encode it, e.g. iconv -f cp1252 -t utf-8 '{path}' > "
            f"'{path.stem}-utf8.csv'."
        ) from None


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV in the dialects users have: ',' or ';' separated (';' with decimal
    commas, as European spreadsheets write), gzip, a BOM, and the two-header-row
    layout of ``yfinance.download(...).to_csv()``.
    """
    text = _read_text(path)
    head = text.splitlines()[:3]
    sep = ";" if head and head[0].count(";") > head[0].count(",") else ","
    decimal = "," if sep == ";" and re.search(r"\d,\d", "\n".join(head[1:])) else "."
    first = [line.split(sep)[0].strip().strip('"').lower() for line in head] + ["", "", ""]
    rows = [[c.strip() for c in r] for r in csv.reader(head, delimiter=sep)] + [[], [], []]

    def names(row: list[str]) -> bool:
        """A header row: a first cell that is no date, then names (no numbers, no dates)."""
        return (
            len(row) > 1 and not re.match(r"^\d", row[0]) and all(c and not re.match(r"^[-+.\d]", c) for c in row[1:])
        )

    fields_row = next((i for i in (0, 1) if names(rows[i]) and all(_canon(c) in _KNOWN for c in rows[i][1:])), None)
    two_level = first[:2] in (["price", "ticker"], ["ticker", "price"]) or (
        fields_row is not None and names(rows[1 - fields_row]) and len(rows[0]) == len(rows[1])
    )
    if two_level:
        # two header rows (yfinance's to_csv, or pandas' for (symbol, field) columns), then maybe a "date" row
        skip = [2] if rows[2] and rows[2][0].lower() in ("date", "datetime", "") and not any(rows[2][1:]) else []
        return pd.read_csv(io.StringIO(text), header=[0, 1], index_col=0, skiprows=skip, sep=sep, decimal=decimal)
    if head:
        # pandas renames a repeated header to "SPX.1": a phantom asset fitted, scored and traded
        header = [c.strip() for c in next(csv.reader([head[0]], delimiter=sep))]
        seen: dict[str, str] = {}
        for name in header:
            key = name.lower()
            if key and key in seen:
                raise DataError(
                    f"{path}: the header names the column {name!r} twice ({seen[key]!r} and {name!r}); pandas would "
                    f"read the second as {seen[key] + '.1'!r}, an asset that does not exist. Hint: rename or drop one "
                    "of them."
                )
            seen[key] = name
    return pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal)


def _read_file(scheme: str, path_text: str) -> pd.DataFrame:
    path = Path(os.path.expanduser(path_text))
    if path.is_dir():
        raise DataError(
            f"{scheme} source {path} is a folder, not a file. Hint: name the file inside it, such as "
            f"'{scheme}:{path / ('prices.' + scheme)}'."
        )
    if not path.is_file():
        raise DataError(
            f"{scheme} file not found: {path} (from source '{scheme}:{path_text}'). Hint: check the path; relative "
            f"paths are resolved from {Path.cwd()}."
        )
    try:
        raw = _read_csv(path) if scheme == "csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path} is empty: no header and no rows. Hint: the file needs a date column and at least a close column."
        ) from None
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"could not read {path} as {scheme}: {type(exc).__name__}: {exc}") from exc
    return raw


# --------------------------------------------------------------------------- layout


_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")


def _day_first(strings: pd.Series, where: str) -> bool | None:
    """For dates written D/M/Y or M/D/Y: True (day first), False (month first), or
    None for other formats. Which one comes first is read off the data (a first
    number above 12 is a day); dates that fit both ways are refused, never guessed,
    and so are dates written some ISO (2020-01-31) and some D/M or M/D.
    """
    iso = strings.str.match(r"^\s*\d{4}-\d{1,2}-\d{1,2}")
    numeric = strings.str.match(_NUMERIC_DATE)
    if iso.any() and numeric.any():
        raise DataError(
            f"{where}: dates are written in two forms, ISO ({strings[iso].iloc[0]!r}) and day/month or month/day "
            f"({strings[numeric].iloc[0]!r}). Hint: write every date the same way, ISO such as 2020-01-31."
        )
    parts = strings.str.extract(_NUMERIC_DATE)
    if len(strings) == 0 or parts[0].isna().any():
        return None
    a, b = parts[0].astype(int), parts[1].astype(int)
    if (a > 12).any() and (b > 12).any():
        raise DataError(
            f"{where}: dates mix day-first and month-first forms ({strings[a > 12].iloc[0]!r} and "
            f"{strings[b > 12].iloc[0]!r}). Hint: write ISO dates such as 2020-01-31."
        )
    if (a > 12).any():
        warnings.warn(
            f"{where}: dates read as day-first (DD/MM/YYYY): {strings[a > 12].iloc[0]!r} is day "
            f"{int(a[a > 12].iloc[0])}.",
            DataWarning,
            stacklevel=5,
        )
        return True
    if (b > 12).any():
        return False
    raise DataError(
        f"{where}: dates such as {strings.iloc[0]!r} read either day-first or month-first, and none of them tells "
        f"which (no number above 12). Hint: write ISO dates such as 2020-01-31."
    )


def _minutes(offset: str) -> int:
    """An ISO offset ("-05:00", "+0530", "Z") in minutes east of UTC."""
    if offset == "Z":
        return 0
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:]))


def _check_offsets(strings: pd.Series, offsets: pd.Series, where: str) -> None:
    """Stamps with UTC offsets are read at their wall time, which is right only when they
    are one zone's (its offset moves by an hour with daylight saving time): offsets
    further apart, or stamps with and without one, are refused.
    """
    if offsets.isna().any():
        plain, zoned = strings[offsets.isna()].iloc[0], strings[offsets.notna()].iloc[0]
        raise DataError(
            f"{where}: some dates carry a UTC offset and some do not ({zoned!r} and {plain!r}); the plain ones "
            "could be in any zone. Hint: write every date in the exchange's own zone, all with an offset or none."
        )
    minutes = offsets.map(_minutes)
    if int(minutes.max()) - int(minutes.min()) > 60:
        lo, hi = strings[minutes == minutes.min()].iloc[0], strings[minutes == minutes.max()].iloc[0]
        raise DataError(
            f"{where}: the dates' UTC offsets span {int(minutes.max() - minutes.min()) / 60:g} hours ({lo!r} and "
            f"{hi!r}): stamps from different zones, whose wall times are not one exchange's dates. Hint: convert "
            "them to the exchange's zone first (pandas: tz_convert('America/New_York')), or write dates without "
            "times."
        )


def _parse_dates(values: pd.Index | pd.Series, where: str) -> pd.DatetimeIndex:
    if isinstance(values, pd.DatetimeIndex):
        return values
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.DatetimeIndex(values)
    if pd.api.types.is_integer_dtype(values) and len(values) and ((values >= 18000101) & (values <= 22001231)).all():
        # dates written as integers, 20030102
        parsed = pd.to_datetime(pd.Series(values).astype(str), format="%Y%m%d", errors="coerce")
        if parsed.notna().all():
            return pd.DatetimeIndex(parsed)
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise DataError(
            f"{where} has no dates: the row labels are {values.dtype} values such as {values[0]!r}. "
            f"Hint: name the date column 'date' (any case), or index the frame by date."
        )
    texts = pd.Series(values, dtype=object)
    strings = texts.dropna().astype(str)
    offsets = strings.str.extract(f"({_OFFSET})")[0]
    if len(strings) and offsets.notna().any():
        _check_offsets(strings, offsets, where)
        # A daily bar belongs to its local date: drop each stamp's own offset (they
        # differ across daylight saving time) and keep the wall time.
        texts = texts.where(texts.isna(), texts.astype(str).str.replace(_OFFSET, "", regex=True))
        strings = texts.dropna().astype(str)
    dayfirst = _day_first(strings, where)
    if dayfirst is not None:
        parsed = pd.to_datetime(texts, errors="coerce", dayfirst=dayfirst, format="mixed")
    else:
        parsed = pd.to_datetime(texts, errors="coerce", utc=False, format="mixed")
    bad = parsed.isna().to_numpy() & pd.Series(values, dtype=object).notna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{where}: {int(bad.sum())} date(s) cannot be parsed, the first {values[i]!r} at row {i}. "
            f"Hint: use ISO dates such as 2020-01-31."
        )
    if parsed.isna().any():
        i = int(np.argmax(parsed.isna().to_numpy()))
        raise DataError(f"{where}: the date is missing at row {i}. Hint: every row needs a date.")
    return pd.DatetimeIndex(parsed)


def _date_indexed(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """Move a date column (any case) into the index, or parse the index. A first
    column without a name (pandas' ``to_csv`` of a date-indexed frame) is the date
    column when it holds dates.
    """
    cols = [c for c in raw.columns if not isinstance(c, tuple) and _canon(c) == "date"]
    if not cols and len(raw.columns) and isinstance(raw.columns[0], str):
        first = raw.columns[0]
        if (first == "" or first.startswith("Unnamed: 0")) and not pd.api.types.is_float_dtype(raw[first]):
            cols = [first]
    if cols:
        raw = raw.set_index(cols[0])
    out = raw.copy()
    out.index = _parse_dates(raw.index, where)
    return out


def _split_layout(raw: pd.DataFrame, default_symbol: str, where: str) -> dict[str, pd.DataFrame]:
    """Per-symbol frames with canonical column names, from any supported layout."""
    if isinstance(raw.columns, pd.MultiIndex):
        if raw.columns.nlevels != 2:
            raise DataError(
                f"{where}: columns have {raw.columns.nlevels} levels; expected 2, (symbol, field) or (field, symbol)."
            )
        levels = [{_canon(v) for v in raw.columns.get_level_values(i)} for i in range(2)]
        if levels[1] <= _KNOWN:
            sym_level = 0
        elif levels[0] <= _KNOWN:
            sym_level = 1
        else:
            raise DataError(
                f"{where}: neither column level holds only OHLCV field names (found {sorted(levels[0])} and "
                f"{sorted(levels[1])}). Hint: fields are open, high, low, close, adj close, volume."
            )
        raw = _date_indexed(raw, where)
        out = {}
        for sym in dict.fromkeys(raw.columns.get_level_values(sym_level)):
            sub = raw.xs(sym, axis=1, level=sym_level)
            sub.columns = [_canon(c) for c in sub.columns]
            out[str(sym)] = sub
        return out

    canon = {c: _canon(c) for c in raw.columns}
    sym_cols = [c for c, k in canon.items() if k == "symbol"]
    if sym_cols:
        sym_col = sym_cols[0]
        if raw[sym_col].isna().any():
            i = int(np.argmax(raw[sym_col].isna().to_numpy()))
            raise DataError(
                f"{where}: column {sym_col!r} has no symbol at row {i}. Hint: every row of long data needs a symbol."
            )
        out = {}
        for sym, sub in raw.groupby(sym_col, sort=False):
            sub = sub.drop(columns=sym_col)
            sub.columns = [canon[c] for c in sub.columns]
            out[str(sym)] = _date_indexed(sub, f"{where} (symbol {sym})")
        return out

    frame = _date_indexed(raw, where)
    fields = [_canon(c) for c in frame.columns]
    if set(fields) & _KNOWN:
        frame.columns = fields
        return {default_symbol: frame}
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if frame.shape[1] and len(numeric) == frame.shape[1]:
        # Wide close-only: one price column per symbol.
        return {str(c): frame[[c]].set_axis(["close"], axis=1) for c in frame.columns}
    raise DataError(
        f"{where}: cannot find price columns among {list(raw.columns)}. Expected a 'close' column "
        f"(open, high, low, volume optional), a 'symbol' column for long data, or one numeric column "
        f"per symbol for wide close-only data."
    )


# --------------------------------------------------------------------------- validation


def _first_date(index: pd.DatetimeIndex, mask: np.ndarray) -> str:
    return str(index[int(np.argmax(mask))].date())


def _check_index(frame: pd.DataFrame, symbol: str) -> tuple[pd.DataFrame, str | None]:
    """Datetime, tz-naive, sorted, unique. Returns the frame and the tz it had."""
    if len(frame) == 0:
        raise DataError(f"{symbol}: the data is empty (no rows). Hint: check the source, and the start/end dates.")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(
            f"{symbol}: the index must hold dates (a DatetimeIndex); found a {type(frame.index).__name__} "
            f"of {frame.index.dtype} such as {frame.index[0]!r}. Hint: frame.index = pd.to_datetime(frame.index)."
        )
    tz = None
    if frame.index.tz is not None:
        # A daily bar belongs to its exchange's local date: keep the wall time, drop the zone.
        tz = str(frame.index.tz)
        frame = frame.copy()
        frame.index = frame.index.tz_localize(None)
    if frame.index.hasnans:
        raise DataError(
            f"{symbol}: the index has a missing date (NaT) at row {int(np.argmax(frame.index.isna()))}. Hint: drop "
            "rows without a date."
        )
    values = frame.index.asi8
    back = np.flatnonzero(np.diff(values) < 0)
    dup = frame.index.duplicated()
    if back.size and dup.any():
        # unsorted because the dates start again: the same bars twice (a symbol listed twice in a long file)
        raise DataError(
            f"{symbol}: the dates start again at row {int(back[0]) + 1} ({frame.index[int(back[0]) + 1].date()} after "
            f"{frame.index[int(back[0])].date()}), and {int(dup.sum())} date(s) appear twice: the symbol's bars are "
            "listed twice. Hint: keep one listing of each symbol."
        )
    if back.size:
        i = int(back[0])
        raise DataError(
            f"{symbol}: dates are not sorted: {frame.index[i + 1].date()} comes after {frame.index[i].date()} "
            f"(row {i + 1}; {back.size} such place(s)). Hint: sort by date first, e.g. frame.sort_index()."
        )
    if dup.any():
        raise DataError(
            f"{symbol}: {int(dup.sum())} duplicate date(s), the first {_first_date(frame.index, dup)}. "
            f"Hint: keep one bar per day (tradecast works on daily bars; resample intraday data first)."
        )
    frame = frame.copy() if tz is None else frame
    # No freq: the same bars must compare equal whether fresh or read back from a cache.
    frame.index = pd.DatetimeIndex(frame.index.normalize(), freq=None)
    if frame.index.duplicated().any():
        raise DataError(
            f"{symbol}: several bars fall on the same day {_first_date(frame.index, frame.index.duplicated())}. "
            "Hint: resample intraday data to daily bars first, or engine.data.load(..., intraday=True) to turn "
            "intraday bars into daily bars with realized measures."
        )
    frame.index.name = "date"
    return frame, tz


def _numeric(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    out = {}
    for c in frame.columns:
        col = frame[c]
        num = pd.to_numeric(col, errors="coerce").astype(float)
        bad = num.isna().to_numpy() & col.notna().to_numpy()
        if bad.any():
            raise DataError(
                f"{symbol}: column {c!r} holds non-numeric values, the first {col.iloc[int(np.argmax(bad))]!r} "
                f"on {_first_date(frame.index, bad)}. Hint: clean the file so the column holds numbers only."
            )
        out[c] = num
    return pd.DataFrame(out, index=frame.index)


def _select_fields(frame: pd.DataFrame, symbol: str, auto_adjust: bool) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise DataError(
            f"{symbol}: column(s) {dupes} appear more than once (after matching names case-insensitively). Hint: "
            "keep one of each."
        )
    cols = set(frame.columns)
    if "close" not in cols and "adj_close" in cols and not cols & {"open", "high", "low"}:
        frame = frame.rename(columns={"adj_close": "close"})
        cols = set(frame.columns)
        notes.append("used 'adj close' as the close")
    if "close" not in cols:
        raise DataError(
            f"{symbol}: missing column 'close' (found {sorted(map(str, cols))}). Hint: every source needs a close; "
            f"open, high, low and volume are optional."
        )
    partial = [c for c in ("open", "high", "low") if c in cols]
    if partial and len(partial) < 3:
        missing = [c for c in ("open", "high", "low") if c not in cols]
        raise DataError(
            f"{symbol}: has {', '.join(partial)} but is missing {', '.join(missing)}. Hint: provide all of open, high, "
            f"low with close, or only close."
        )
    ignored = sorted(str(c) for c in cols - _KNOWN)
    if ignored:
        notes.append(f"ignored column(s) {', '.join(ignored)}")
    frame = _numeric(frame[[c for c in frame.columns if c in _KNOWN]], symbol)
    if "adj_close" in frame.columns:
        bad = ~(frame["adj_close"] > 0) & frame["adj_close"].notna()
        if bad.any():
            raise DataError(
                f"{symbol}: adj close is {frame['adj_close'][bad].iloc[0]:g} "
                f"on {_first_date(frame.index, bad.to_numpy())} "
                f"({int(bad.sum())} such row(s)); an adjusted price must be positive. Hint: repair the adj close "
                "column, or drop it (and auto_adjust) to use the raw prices."
            )
        factor = frame["adj_close"] / frame["close"]
        if auto_adjust and not np.allclose(factor.dropna(), 1.0, rtol=0, atol=1e-12):
            for c in PRICES:
                if c in frame.columns:
                    frame[c] = frame[c] * factor
            notes.append("prices adjusted by adj close / close")
        frame = frame.drop(columns="adj_close")
    return frame[[c for c in FIELDS if c in frame.columns]], notes


def _fill_gaps(frame: pd.DataFrame, gap: np.ndarray) -> pd.DataFrame:
    """A day without a close (``gap``) becomes a day without trading: open, high, low
    and close at the previous close, volume 0. Nothing else is filled: a day with a
    close but no range keeps its NaN (a range is never invented; see :func:`_check_ranges`).
    """
    out = frame.copy()
    prev_close = out["close"].ffill()
    out.loc[gap, "close"] = prev_close[gap]
    for c in ("open", "high", "low"):
        if c in out.columns:
            out.loc[gap, c] = prev_close[gap]
    if "volume" in out.columns:
        out.loc[gap, "volume"] = out["volume"][gap].fillna(0.0)
    return out


def _check_ranges(frame: pd.DataFrame, symbol: str, notes: list[str]) -> pd.DataFrame:
    """Open, high and low where the close is known: all there, or none (the asset is then
    read as close-only, and said so); a range missing on only some days is refused: a
    filled range would be a made-up volatility (a flat bar's range variance is zero).
    """
    ranges = [c for c in ("open", "high", "low") if c in frame.columns]
    if not ranges:
        return frame
    known = frame["close"].notna().to_numpy()
    missing = frame[ranges].isna().to_numpy().any(axis=1) & known
    if not missing.any():
        return frame
    if frame[ranges].isna().to_numpy()[known].all():
        notes.append(f"{symbol}: no open, high or low on any day: read as close-only")
        return frame.drop(columns=ranges)
    raise DataError(
        f"{symbol}: {int(missing.sum())} day(s) have a close but no open, high or low, the first on "
        f"{_first_date(frame.index, missing)}. fill='ffill' carries a missing close forward; it does not invent "
        "ranges (a made-up range is a made-up volatility). Hint: repair the source, or drop the open, high and low "
        "columns of this asset to use it close-only (with a close-to-close estimator)."
    )


def _check_values(
    frame: pd.DataFrame, symbol: str, fill: Fill, trim: bool, notes: list[str]
) -> tuple[pd.DataFrame, int, int]:
    """Gaps, positivity, OHLC consistency, volume. Returns (frame, filled, trimmed); what
    was assumed goes to ``notes``.
    """
    isna = frame.isna().to_numpy()
    empty = isna.all(axis=1)
    if empty.all():
        raise DataError(
            f"{symbol}: every row is empty (all values missing). Hint: check the source and the date range."
        )
    first, last = int(np.argmax(~empty)), len(empty) - int(np.argmax(~empty[::-1]))
    trimmed = first + (len(empty) - last)
    listed = frame.iloc[first:last]
    gap = listed.isna().to_numpy().any(axis=1)
    filled = 0
    if gap.any():
        n, dates = int(gap.sum()), ", ".join(str(d.date()) for d in listed.index[gap][:3])
        if fill == "error":
            missing_cols = [c for c in listed.columns if listed[c].isna().any()]
            raise DataError(
                f"{symbol}: {n} row(s) with missing values inside the data (columns {', '.join(missing_cols)}), "
                f"first on {dates}. Hint: pass fill='ffill' to carry the previous close forward (the count "
                f"is reported), or repair the source."
            )
        listed = _check_ranges(listed, symbol, notes)
        gap = listed["close"].isna().to_numpy()
        n = int(gap.sum())
        listed = _fill_gaps(listed, gap)
        still = listed.isna().to_numpy().any(axis=1)
        if still.any():
            raise DataError(
                f"{symbol}: the bar on {_first_date(listed.index, still)} cannot be filled: no earlier close to "
                "carry forward. Hint: start the data one day later."
            )
        filled = n
    _check_bars(listed, symbol)
    if trim:
        return listed, filled, trimmed
    out = frame[list(listed.columns)].copy()
    out.iloc[first:last] = listed.to_numpy()
    return out, filled, 0


def _check_bars(listed: pd.DataFrame, symbol: str) -> None:
    """Prices positive and finite, a daily calendar, each bar's high and low around its
    open and close, volume non-negative; the first offending row named.
    """
    prices = [c for c in PRICES if c in listed.columns]
    vals = listed[prices].to_numpy()
    bad = ~np.isfinite(vals) | (vals <= 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{symbol}: non-positive or infinite price {float(vals[r, c]):g} in column {prices[c]!r} on "
            f"{listed.index[r].date()} ({int(bad.any(axis=1).sum())} such row(s)). Hint: prices must be "
            f"positive; remove or repair these rows."
        )
    _check_calendar(listed["close"].dropna(), symbol)
    if "open" in listed.columns:
        o, h, lo_, c = (listed[k].to_numpy() for k in PRICES)
        body_hi, body_lo = np.maximum(o, c), np.minimum(o, c)
        for name, mask, rule in (
            ("high", h < body_hi * (1 - OHLC_RTOL), "high below max(open, close)"),
            ("low", lo_ > body_lo * (1 + OHLC_RTOL), "low above min(open, close)"),
        ):
            if mask.any():
                i = int(np.argmax(mask))
                raise DataError(
                    f"{symbol}: {rule} on {listed.index[i].date()} (open={o[i]:g}, high={h[i]:g}, low={lo_[i]:g}, "
                    f"close={c[i]:g}; {int(mask.sum())} such row(s)). Hint: the bar is inconsistent; repair the "
                    f"source or drop the {name} column set (open, high, low) to use close only."
                )
    if "volume" in listed.columns:
        v = listed["volume"].to_numpy()
        neg = ~np.isfinite(v) | (v < 0)
        if neg.any():
            i = int(np.argmax(neg))
            raise DataError(
                f"{symbol}: negative or infinite volume {float(v[i]):g} on {listed.index[i].date()}. Hint: volume "
                "must be >= 0."
            )


#: Closes below this break vectorbt's order sizing ("val_price_now must be finite").
MIN_PRICE = 1e-8
#: A one-day move beyond both of these is reported as a possible unadjusted split.
SPLIT_MOVE, SPLIT_SCALE = np.log(1.8), 20.0


def _check_calendar(close: pd.Series, symbol: str) -> None:
    """Bars that load but are not what they seem: weekly or monthly bars read as
    daily, dates shifted by a time zone, weekend bars, unadjusted splits, and
    prices too small to trade in a backtest.
    """
    if len(close) >= 10:
        gaps = (
            np.diff(close.index.values).astype("timedelta64[s]").astype(float) / 86_400
        )  # whatever the index's resolution
        spacing = float(np.median(gaps))
        if spacing >= 5:
            kind = "weekly" if spacing < 20 else "monthly" if spacing < 80 else "sparse"
            raise DataError(
                f"{symbol}: bars are a median {spacing:g} days apart: {kind} bars, not daily ones. tradecast works "
                "on daily bars (its variance targets and 252-day annualisation assume them). Hint: load daily bars "
                "(yfinance interval='1d')."
            )
    days = close.index.day_of_week
    counts = np.bincount(days, minlength=7)
    mon, fri, sat, sun = counts[0], counts[4], counts[5], counts[6]
    if (sun > 0 and fri == 0) or (sat > 0 and mon == 0):
        day = "Sundays" if sun > 0 and fri == 0 else "Saturdays"
        missing = "Fridays" if day == "Sundays" else "Mondays"
        raise DataError(
            f"{symbol}: {int(sun if day == 'Sundays' else sat)} bars fall on {day} and none on {missing}: the dates "
            "look shifted by a time zone (a bar stamped at midnight UTC is the previous evening in New York). Hint: "
            "convert timestamps to the exchange's zone before taking the date, e.g. "
            "index.tz_convert('America/New_York')."
        )
    weekend = days >= 5
    if weekend.any():
        warnings.warn(
            f"{symbol}: {int(weekend.sum())} bars fall on weekends, the first on {close.index[weekend][0].date()}. "
            "Fine for an asset that trades every day (crypto); annualisation still assumes 252 trading days a year.",
            DataWarning,
            stacklevel=4,
        )
    low = close < MIN_PRICE
    if low.any():
        raise DataError(
            f"{symbol}: close {float(close[low].iloc[0]):g} on {close.index[low][0].date()} is below {MIN_PRICE:g}, "
            "too small for a backtest's order sizing. Hint: scale the prices (multiply every price column by the "
            "same factor: returns do not change)."
        )
    r = np.log(close).diff().dropna()
    if len(r) >= 20:
        typical = float(np.median(np.abs(r)))
        jumps = (np.abs(r) > SPLIT_MOVE) & (np.abs(r) > SPLIT_SCALE * max(typical, 1e-12))
        if jumps.any():
            day, move = r.index[jumps][0], float(np.expm1(r[jumps].iloc[0]))
            warnings.warn(
                f"{symbol}: a one-day move of {100 * move:+.0f} % on {day.date()}, "
                f"{abs(r[jumps].iloc[0]) / max(typical, 1e-12):.0f} times the series' median daily move "
                f"({int(jumps.sum())} such day(s)): an unadjusted split? Hint: split-adjusted prices "
                "(auto_adjust=True for yfinance), or fix the source.",
                DataWarning,
                stacklevel=4,
            )


def validate(
    frame: pd.DataFrame,
    *,
    symbol: str = "series",
    fill: Fill = "error",
    auto_adjust: bool = True,
    min_rows: int | None = None,
) -> pd.DataFrame:
    """Validate one symbol's bars held in memory; the checks :func:`load` applies.

    Parameters
    ----------
    frame : DataFrame, shape (n_dates, n_fields)
        Indexed by date; columns named open/high/low/close/volume in any case
        (``adj close`` too).
    symbol : str
        Used in messages and in the frame's ``symbols`` (:func:`core.frameinfo.frame_info`).
    fill, auto_adjust, min_rows
        As in :func:`load`.

    Returns
    -------
    DataFrame with float columns among ``open, high, low, close, volume``.
    """
    _check_option("fill", fill, get_args(Fill))
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"frame must be a DataFrame; got {type(frame).__name__}.")
    frame, tz = _check_index(frame.rename(columns=_canon), symbol)
    return _finish(
        {symbol: frame},
        source=f"frame:{symbol}",
        fill=fill,
        auto_adjust=auto_adjust,
        min_rows=min_rows,
        tz={symbol: tz},
        notes=[],
    )


def _check_option(name: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise DataError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}.")


def _selected(
    frames: dict[str, pd.DataFrame],
    auto_adjust: bool,
    notes: list[str],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> dict[str, pd.DataFrame]:
    """Each symbol's fields (adjusted where asked) between ``start`` and ``end``; a universe's
    symbols on the union of their calendars, so that a day one lacks inside its span is a gap.
    """
    selected: dict[str, pd.DataFrame] = {}
    for sym, f in frames.items():
        f, sym_notes = _select_fields(f, sym, auto_adjust)
        notes += [f"{sym}: {n}" for n in sym_notes]
        f = f.loc[start:end]
        if len(f) == 0:
            raise DataError(
                f"{sym}: no rows between start={start and start.date()} and end={end and end.date()}. Hint: widen "
                "the date range."
            )
        selected[sym] = f
    if len(frames) > 1:
        _check_shifted(selected)
        union = selected[next(iter(selected))].index
        for f in selected.values():
            union = union.union(f.index)
        selected = {s: f.reindex(union) for s, f in selected.items()}
    return selected


def _finish(
    frames: dict[str, pd.DataFrame],
    *,
    source: str,
    fill: Fill,
    auto_adjust: bool,
    min_rows: int | None,
    tz: dict[str, str | None],
    notes: list[str],
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every symbol's frame checked and the whole as one frame, with what was assumed in its attrs."""
    universe = len(frames) > 1
    selected = _selected(frames, auto_adjust, notes, start, end)
    out: dict[str, pd.DataFrame] = {}
    filled: dict[str, int] = {}
    trimmed: dict[str, int] = {}
    for sym, f in selected.items():
        out[sym], filled[sym], trimmed[sym] = _check_values(f, sym, fill, trim=not universe, notes=notes)
        if min_rows is not None:
            listed = int(out[sym]["close"].notna().sum())
            if listed < min_rows:
                raise DataError(
                    f"{sym}: too few rows: {listed} bars, but at least {min_rows} are required for the requested "
                    f"windows. Hint: load a longer history (earlier start) or use shorter windows."
                )
    if any(filled.values()):
        warnings.warn(
            "fill='ffill' filled "
            + ", ".join(f"{n} row(s) of {s}" for s, n in filled.items() if n)
            + " with the previous close (a day without trading: a flat bar, volume 0).",
            DataWarning,
            stacklevel=3,
        )
    close_only = [n for n in notes if n.endswith("read as close-only")]
    if close_only:
        warnings.warn("; ".join(close_only) + ".", DataWarning, stacklevel=3)
    if universe:
        result = pd.concat(out, axis=1, names=["symbol", "field"])
    else:
        result = next(iter(out.values()))
        result.columns.name = "field"
    result.index.name = "date"
    set_info(
        result,
        FrameInfo(
            source=source,
            symbols=tuple(out),
            filled_rows=filled,
            trimmed_rows=trimmed,
            timezone={s: z for s, z in tz.items() if z},
            auto_adjust=auto_adjust,
            notes=tuple(notes),
        ),
    )
    return result


def _check_shifted(frames: dict[str, pd.DataFrame]) -> None:
    """A vendor that stamps each bar one trading day late (or early) differs from the
    others only around holidays: it has the holiday and lacks the day after it. Aligned
    as they are, each asset would seem to miss the other's days; say what it is.
    """
    symbols = list(frames)
    first = frames[symbols[0]].index
    for sym in symbols[1:]:
        other = frames[sym].index
        lo, hi = max(first[0], other[0]), min(first[-1], other[-1])
        a, b = first[(first >= lo) & (first <= hi)], other[(other >= lo) & (other <= hi)]
        only_b, only_a = b.difference(a), a.difference(b)
        if not len(only_b) or not len(only_a):
            continue
        for step, word in ((1, "later"), (-1, "earlier")):
            # each day only the other has, followed (preceded) by a day only the first has
            paired = (only_b + pd.offsets.BDay(step)).isin(only_a)
            if paired.mean() >= 0.8:
                d = only_b[paired][0]
                raise DataError(
                    f"{sym}'s dates look one trading day {word} than {symbols[0]}'s: {sym} has {d.date()}, which "
                    f"{symbols[0]} lacks, and lacks {(d + pd.offsets.BDay(step)).date()}, which {symbols[0]} has "
                    f"({int(paired.sum())} such pair(s)); aligned as they are, each would miss the other's days. "
                    "Hint: stamp every bar with the date it closed (the vendor may use the next day's date)."
                )


def _to_timestamp(value: object, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise DataError(f"{name} must be a date such as '2008-01-01'; got {value!r}.") from None


@dataclass(frozen=True)
class DataSpec:
    """Where the bars come from: :func:`load`'s settings. A config's ``[data]`` table is
    this object, so the config and the Python API share one set of defaults and checks.

    Attributes
    ----------
    source : str
        ``embedded:sp500``, ``yfinance:SPY``, ``csv:PATH``, ...
    start, end : str, optional
        ISO dates, inclusive.
    fill : {"error", "ffill"}
    auto_adjust : bool
    cache_dir : str, optional
        yfinance cache folder.
    vix : str, optional
        A source whose close is joined as the ``vix`` feature; ``""`` for none.
    intraday : bool
        The CSV or parquet source holds intraday bars: they become daily bars with
        realized measures (:func:`signals.intraday.realized_measures`), for
        ``[features] estimator = "realized"``.
    every : str
        The sampling grid of intraday prices (pandas frequency, "5min").
    intraday_overnight : {"separate", "add"}
        Keep the overnight return as its own column, or add its square to the measures.
    """

    source: str = "embedded:sp500"
    start: str | None = None
    end: str | None = None
    fill: Fill = "error"
    auto_adjust: bool = True
    cache_dir: str | None = None
    vix: str = "embedded:vix"
    intraday: bool = False
    every: str = "5min"
    intraday_overnight: Overnight = "separate"

    def __post_init__(self) -> None:
        try:
            ok = pd.Timedelta(pd.tseries.frequencies.to_offset(self.every)) > pd.Timedelta(0)
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise ParameterError(
                f'data.every must be a pandas frequency such as "5min" or "1min"; got {self.every!r}. Hint: the '
                "grid intraday prices are sampled on."
            )

    def load(self, *, min_rows: int | None = None) -> pd.DataFrame:
        """The bars (:func:`load`), each symbol refused with fewer than ``min_rows``."""
        return load(
            self.source,
            start=self.start,
            end=self.end,
            fill=self.fill,
            auto_adjust=self.auto_adjust,
            cache_dir=self.cache_dir,
            min_rows=min_rows,
            intraday=self.intraday,
            every=self.every,
            intraday_overnight=self.intraday_overnight,
        )

    def load_vix(self) -> pd.DataFrame | None:
        """The ``vix`` source's bars (None without one)."""
        return load(self.vix, cache_dir=self.cache_dir) if self.vix else None


def load(
    source: str,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    fill: Fill = "error",
    auto_adjust: bool = True,
    min_rows: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
    intraday: bool = False,
    every: str = "5min",
    intraday_overnight: Overnight = "separate",
) -> pd.DataFrame:
    """Load and validate daily OHLCV bars for one symbol or a universe.

    Parameters
    ----------
    source : str
        ``embedded:sp500``, ``embedded:nasdaq``, ``embedded:vix``,
        ``yfinance:SPY`` or ``yfinance:AAPL,MSFT``, ``csv:PATH``, ``parquet:PATH``.
    start, end : date-like, optional
        Keep bars on or after ``start`` and on or before ``end`` (both inclusive).
    fill : {"error", "ffill"}, default "error"
        What to do with missing values inside the data: refuse, or carry the
        previous close forward (reported in ``frame_info(frame).filled_rows``).
    auto_adjust : bool, default True
        Use split- and dividend-adjusted prices: passed to yfinance, and for
        files with an ``adj close`` column, scales open/high/low/close by
        ``adj close / close``. With False the unadjusted prices are kept.
    min_rows : int, optional
        Refuse data with fewer bars per symbol (say, the longest feature window).
    cache_dir : path, optional
        yfinance cache folder (default ``~/.cache/tradecast/yfinance`` or
        ``$TRADECAST_CACHE/yfinance``).
    refresh : bool, default False
        Download again even when the yfinance cache holds a copy.
    intraday : bool, default False
        The file holds intraday bars (several timestamps a day, local exchange
        time): they become daily bars plus the realized measures of
        :func:`signals.intraday.realized_measures` (columns ``realized``, ``bv``,
        ``rs_pos``, ``rs_neg``, ``rq``, ``n_intraday``, ``overnight``), on
        ``every``-spaced previous-tick prices. Without it, intraday bars are
        refused. CSV and parquet sources only.
    every : str, default "5min"
        The sampling grid of the intraday returns.
    intraday_overnight : {"separate", "add"}, default "separate"
        Keep the overnight return apart from the intraday measures (its own
        column ``overnight``), or add its square to them.

    Returns
    -------
    DataFrame
        One symbol: columns among ``open, high, low, close, volume``. A universe:
        columns ``(symbol, field)``. Indexed by ``date``.

    Raises
    ------
    DataError
        Unknown source, unreadable or inconsistent data; the message says what,
        where and how to fix it.

    Examples
    --------
    >>> bars = load("embedded:sp500", start="2005-01-01")
    >>> bars.columns.tolist()
    ['open', 'high', 'low', 'close', 'volume']
    """
    _check_option("fill", fill, get_args(Fill))
    start_ts, end_ts = _checked_bounds(start, end, min_rows)
    scheme, _ = _parse_source(source)
    if intraday and scheme not in ("csv", "parquet"):
        raise DataError(
            f"intraday=True reads intraday bars from a CSV or parquet file; source {source!r} is {scheme}. Hint: "
            "save the intraday bars to a file (one row per timestamp) and load 'csv:PATH'."
        )
    frames, notes = _read_source(
        source, start_ts, end_ts, auto_adjust=auto_adjust, cache_dir=cache_dir, refresh=refresh
    )
    measures: dict[str, pd.DataFrame] = {}
    if intraday:
        frames, measures = _intraday_to_daily(frames, every, intraday_overnight)
    checked: dict[str, pd.DataFrame] = {}
    tz: dict[str, str | None] = {}
    for sym, f in frames.items():
        checked[sym], tz[sym] = _check_index(f.rename(columns=_canon), sym)
    bars = _finish(
        checked,
        source=source,
        fill=fill,
        auto_adjust=auto_adjust,
        min_rows=min_rows,
        tz=tz,
        notes=notes,
        start=start_ts,
        end=end_ts,
    )
    return _with_measures(bars, measures) if measures else bars


def _checked_bounds(
    start: str | pd.Timestamp | None, end: str | pd.Timestamp | None, min_rows: int | None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``start`` and ``end`` as timestamps (in order), ``min_rows`` checked."""
    if min_rows is not None and (isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 1):
        raise DataError(f"min_rows must be a positive integer or None; got {min_rows!r}.")
    start_ts, end_ts = _to_timestamp(start, "start"), _to_timestamp(end, "end")
    if start_ts is not None and end_ts is not None and start_ts > end_ts:
        raise DataError(f"start={start_ts.date()} is after end={end_ts.date()}. Hint: swap them.")
    return start_ts, end_ts


def _read_source(
    source: str,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    *,
    auto_adjust: bool,
    cache_dir: str | os.PathLike | None,
    refresh: bool,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The raw frames of a source by symbol (not yet checked) and notes on where they came from."""
    scheme, rest = _parse_source(source)
    if scheme == "embedded":
        return _load_embedded(rest)
    if scheme == "simulated":
        return _load_simulated(rest)
    if scheme == "yfinance":
        from engine import yahoo

        tickers = list(dict.fromkeys(t.strip().upper() for t in rest.split(",") if t.strip()))
        if not tickers:
            raise DataError(f"source {source!r} names no ticker. Hint: 'yfinance:SPY' or 'yfinance:AAPL,MSFT'.")
        raw = yahoo.fetch(
            tickers,
            start=None if start is None else str(start.date()),
            # yfinance's end is exclusive; ours is inclusive.
            end=None if end is None else str((end + timedelta(days=1)).date()),
            auto_adjust=auto_adjust,
            cache_dir=cache_dir,
            refresh=refresh,
        )
        return {t: _date_indexed(f, f"yfinance {t}").rename(columns=_canon) for t, f in raw.items()}, []
    raw = _read_file(scheme, rest)
    return _split_layout(raw, Path(rest).stem, f"{scheme} file {rest}"), []


def _intraday_to_daily(
    frames: dict[str, pd.DataFrame], every: str, overnight: Overnight
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Daily OHLCV bars and the realized measures of each symbol's intraday bars."""
    from signals.intraday import MEASURES, realized_measures

    daily, measures = {}, {}
    for sym, f in frames.items():
        f = f.rename(columns=_canon).sort_index()
        if not isinstance(f.index, pd.DatetimeIndex):
            raise DataError(f"{sym}: intraday=True needs timestamps in the index or a date column.")
        if f.index.tz is not None:
            f.index = f.index.tz_localize(None)  # local exchange time: days are calendar days there
        twice = f.index.duplicated()
        if twice.any():
            raise DataError(
                f"{sym}: {int(twice.sum())} intraday timestamp(s) appear twice, the first {f.index[twice][0]}: two "
                "bars for one moment cannot both be prices. Hint: keep one bar per timestamp (the vendor's last)."
            )
        per_day = f.index.normalize().value_counts()
        if per_day.max() < 2:
            raise DataError(
                f"{sym}: intraday=True, but every day has one bar: these are daily bars. Hint: load them without "
                "intraday."
            )
        m = realized_measures(f, every=every, overnight=overnight)
        daily[sym] = m.drop(columns=list(MEASURES))
        measures[sym] = m[list(MEASURES)]
    return daily, measures


def _with_measures(bars: pd.DataFrame, measures: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The validated daily bars with each symbol's realized measures on the dates they kept."""
    if isinstance(bars.columns, pd.MultiIndex):
        parts = {
            sym: bars[sym].join(measures[sym].reindex(bars.index)) for sym in bars.columns.get_level_values(0).unique()
        }
        out = pd.concat(parts, axis=1)
        out.columns.names = bars.columns.names
    else:
        ((_, m),) = measures.items()
        out = bars.join(m.reindex(bars.index))
    set_info(out, dataclasses.replace(frame_info(bars), intraday=True))
    return out
