"""Frames shaped exactly as ``yfinance.download`` 1.x returns them, built offline.

Mirrors yfinance 1.7's ``multi._download_impl``: each ticker's
``Ticker.history`` frame (columns Open, High, Low, Close[, Adj Close], Volume;
a tz-aware ``Date`` index in the exchange zone) is made tz-naive when
``ignore_tz`` (the default for daily bars), reindexed onto the union of dates,
concatenated with ``keys=tickers, names=['Ticker', 'Price']``, then, for
``group_by='column'``, level-swapped to ``('Price', 'Ticker')`` and sorted by
price field. A failed ticker contributes ``utils.empty_df()``: all-NaN columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def history(ticker: str, dates: pd.DatetimeIndex, *, auto_adjust: bool = True, seed: int = 0) -> pd.DataFrame:
    """A ``Ticker.history`` frame with consistent OHLC bars."""
    rng = np.random.default_rng(seed + sum(map(ord, ticker)))
    n = len(dates)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.004, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.004, n)))
    cols = {"Open": open_, "High": high, "Low": low, "Close": close}
    if not auto_adjust:
        # Unadjusted history: a 2% dividend adjustment on every bar before the last.
        factor = np.where(np.arange(n) < n - 1, 0.98, 1.0)
        cols["Adj Close"] = close * factor
    frame = pd.DataFrame(cols, index=dates)
    frame["Volume"] = rng.integers(1_000_000, 5_000_000, n).astype("int64")
    frame.index.name = "Date"
    return frame


def download(
    tickers: list[str],
    dates: pd.DatetimeIndex,
    *,
    auto_adjust: bool = True,
    ignore_tz: bool = True,
    failed: tuple[str, ...] = (),
    missing_days: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """What ``yfinance.download(tickers, group_by='column')`` returns."""
    tz_dates = dates.tz_localize("America/New_York") if dates.tz is None else dates
    dfs = {}
    for t in tickers:
        if t in failed:
            empty = pd.DataFrame(
                index=[], data={c: np.nan for c in ("Open", "High", "Low", "Close", "Adj Close", "Volume")}
            )
            empty.index.name = "Date"
            dfs[t] = empty
            continue
        frame = history(t, tz_dates, auto_adjust=auto_adjust)
        drop = (missing_days or {}).get(t, [])
        if drop:
            frame = frame.drop(index=pd.DatetimeIndex(drop).tz_localize(frame.index.tz))
        dfs[t] = frame
    if ignore_tz:
        for df in dfs.values():
            if df.shape[0] > 0:
                df.index = df.index.tz_localize(None)
    idx = None
    for df in dfs.values():
        if not df.empty:
            idx = df.index if idx is None else idx.union(df.index)
    if idx is None:
        idx = pd.DatetimeIndex([])
    dfs = {t: df.reindex(idx) for t, df in dfs.items()}
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)  # yfinance sorts in place
