"""yfinance download with an on-disk parquet cache; the only module that calls yfinance.

Each ticker is cached in its own file, keyed by ticker, adjustment and date
range, written atomically and checked on every read (see :mod:`core.atomic`).
A corrupt or partial cache file is reported, deleted and fetched again; it is
never used. An open-ended request (``end=None``) is refetched once its copy is
older than ``max_age``; if that refetch fails, the stale copy is used with a
warning rather than failing an offline user.

Tests replace :func:`yf_download` with frames shaped exactly as yfinance 1.x
returns them: columns ``MultiIndex`` named ``("Price", "Ticker")``, index named
``Date`` (tz-naive for daily bars unless ``ignore_tz=False``).
"""

from __future__ import annotations

import os
import re
import time
import warnings
from datetime import timedelta
from pathlib import Path

import pandas as pd

from core.atomic import CorruptFileError, read_parquet_checked, write_parquet_atomic
from core.errors import DataError, DataWarning

__all__ = ["cache_path", "default_cache_dir", "fetch", "yf_download"]

OFFLINE_HINT = (
    "Offline alternatives: 'embedded:sp500', 'embedded:nasdaq', 'embedded:vix' (shipped with arch), "
    "or your own file via 'csv:PATH' / 'parquet:PATH'."
)


def default_cache_dir() -> Path:
    """``$TRADECAST_CACHE/yfinance`` if set, else ``~/.cache/tradecast/yfinance``."""
    root = os.environ.get("TRADECAST_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "tradecast"
    return base / "yfinance"


def yf_download(tickers: list[str], **kwargs) -> pd.DataFrame:
    """Call ``yfinance.download``; the single seam that tests replace."""
    import yfinance

    with warnings.catch_warnings():
        # yfinance's own pandas deprecations (inplace=...) are not the user's to fix.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"yfinance")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"yfinance")
        return yfinance.download(tickers, **kwargs)


def cache_path(cache_dir: Path, ticker: str, *, start: str | None, end: str | None, auto_adjust: bool) -> Path:
    """Cache file for one ticker and request."""
    safe = re.sub(r"[^A-Za-z0-9^.=_-]", "_", ticker)
    adj = "adj" if auto_adjust else "raw"
    return Path(cache_dir) / f"{safe}__{adj}__{start or 'first'}__{end or 'latest'}__1d.parquet"


def _split(raw: pd.DataFrame | None, tickers: list[str]) -> dict[str, pd.DataFrame]:
    """Per-ticker frames from a yfinance download; tickers with no data are left out."""
    if raw is None or not isinstance(raw, pd.DataFrame) or raw.empty:
        return {}
    out: dict[str, pd.DataFrame] = {}
    if isinstance(raw.columns, pd.MultiIndex):
        names = list(raw.columns.names)
        level = (
            names.index("Ticker")
            if "Ticker" in names
            else next((i for i in range(raw.columns.nlevels) if set(tickers) & set(raw.columns.get_level_values(i))), 1)
        )
        available = set(raw.columns.get_level_values(level))
        for t in tickers:
            if t in available:
                out[t] = raw.xs(t, axis=1, level=level)
    elif len(tickers) == 1:
        out[tickers[0]] = raw
    for t in list(out):
        # yfinance aligns tickers on the union of their dates: drop this ticker's
        # non-trading rows here; engine.data re-aligns and flags real gaps.
        frame = out[t].dropna(how="all")
        frame.columns = [str(c) for c in frame.columns]
        frame.columns.name = None
        if frame.empty:
            del out[t]
        else:
            out[t] = frame
    return out


def fetch(
    tickers: list[str],
    *,
    start: str | None = None,
    end: str | None = None,
    auto_adjust: bool = True,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
    max_age: timedelta = timedelta(days=1),
) -> dict[str, pd.DataFrame]:
    """Daily bars per ticker, from the cache where possible, else from yfinance.

    Parameters
    ----------
    tickers : list of str
        Upper-case Yahoo tickers, e.g. ``["SPY", "^VIX"]``.
    start, end : str, optional
        ISO dates passed to yfinance (``end`` exclusive, as in yfinance).
    auto_adjust : bool, default True
        Split- and dividend-adjusted prices (yfinance's ``auto_adjust``).
    cache_dir : path, optional
        Defaults to :func:`default_cache_dir`.
    refresh : bool, default False
        Ignore cached copies and download again.
    max_age : timedelta, default one day
        Age after which an open-ended (``end=None``) cached copy is refetched.

    Returns
    -------
    dict mapping ticker to its raw frame (yfinance column names, ``Date`` index).

    Raises
    ------
    DataError
        A ticker could be neither read from the cache nor downloaded; the
        message names the cache folder and the offline sources.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    paths = _cache_paths(cache_dir, tickers, start=start, end=end, auto_adjust=auto_adjust)
    result, stale = _from_cache(paths, refresh=refresh, open_ended=end is None, max_age=max_age)
    to_fetch = [t for t in tickers if t not in result]
    if not to_fetch:
        return result
    error: Exception | None = None
    try:
        raw = yf_download(
            to_fetch,
            start=start,
            end=end,
            auto_adjust=auto_adjust,
            progress=False,
            group_by="column",
            multi_level_index=True,
        )
    except Exception as exc:  # yfinance raises many kinds on network trouble
        raw, error = None, exc
    fetched = _split(raw, to_fetch)
    failed = []
    for t in to_fetch:
        if t in fetched:
            meta = {"ticker": t, "start": start, "end": end, "auto_adjust": auto_adjust, "fetched_at": time.time()}
            write_parquet_atomic(fetched[t], paths[t], meta)
            result[t] = fetched[t]
        elif t in stale:
            frame, age = stale[t]
            warnings.warn(
                f"yfinance: could not refresh {t}; using the cached copy from {age / 86400:.1f} days ago ({paths[t]}).",
                DataWarning,
                stacklevel=3,
            )
            result[t] = frame
        else:
            failed.append(t)
    if failed:
        why = f" ({type(error).__name__}: {error})" if error is not None else ""
        raise DataError(
            f"yfinance returned no data for {', '.join(failed)}{why}: the network may be unreachable "
            f"or the ticker unknown. The cache at {cache_dir} holds no usable copy of this request. "
            f"{OFFLINE_HINT}"
        ) from error
    return {t: result[t] for t in tickers}


def _cache_paths(
    cache_dir: Path, tickers: list[str], *, start: str | None, end: str | None, auto_adjust: bool
) -> dict[str, Path]:
    """Each ticker's cache file for this request; a file where the folder should be, or a
    folder where a file should be, is refused with a hint.
    """
    if cache_dir.exists() and not cache_dir.is_dir():
        raise DataError(
            f"the yfinance cache_dir {cache_dir} is a file, not a folder. Hint: another cache_dir ([data] cache_dir), "
            "or move the file away."
        )
    paths = {t: cache_path(cache_dir, t, start=start, end=end, auto_adjust=auto_adjust) for t in tickers}
    for t, path in paths.items():
        if path.exists() and not path.is_file():
            raise DataError(
                f"the yfinance cache entry of {t}, {path}, is a folder, not a file. Hint: delete it (tradecast keeps "
                "one parquet file per request there)."
            )
    return paths


def _from_cache(
    paths: dict[str, Path], *, refresh: bool, open_ended: bool, max_age: timedelta
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[pd.DataFrame, float]]]:
    """The cached frames still good for this request, and the stale ones (open-ended and
    older than ``max_age``: refetched, kept in case the download fails) with their age in
    seconds. A damaged entry is deleted with a warning.
    """
    result: dict[str, pd.DataFrame] = {}
    stale: dict[str, tuple[pd.DataFrame, float]] = {}
    if refresh:
        return result, stale
    for t, path in paths.items():
        try:
            frame, meta = read_parquet_checked(path)
        except FileNotFoundError:
            continue
        except CorruptFileError as exc:
            warnings.warn(f"yfinance cache: {exc}; deleting it and downloading {t} again.", DataWarning, stacklevel=4)
            path.unlink(missing_ok=True)
            continue
        age = time.time() - float(meta.get("fetched_at", 0.0))
        if open_ended and age > max_age.total_seconds():
            stale[t] = (frame, age)
        else:
            result[t] = frame
    return result, stale
