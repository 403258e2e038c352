"""The yfinance path, offline: yfinance.download is replaced by frames shaped as
yfinance 1.x returns them (tests/engine/yf_frames.py).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from core.atomic import read_parquet_checked
from core.frameinfo import frame_info
from engine import yahoo
from engine.data import DataError, DataWarning, load, symbols
from tests.engine import yf_frames

DATES = pd.bdate_range("2022-01-03", periods=40)


class FakeYahoo:
    """Records calls; answers like yfinance.download would."""

    def __init__(self, **options):
        self.calls: list[tuple[list[str], dict]] = []
        self.options = options
        self.error: Exception | None = None

    def __call__(self, tickers, **kwargs):
        self.calls.append((list(tickers), kwargs))
        if self.error is not None:
            raise self.error
        return yf_frames.download(list(tickers), DATES, auto_adjust=kwargs.get("auto_adjust", True), **self.options)


@pytest.fixture
def fake(monkeypatch):
    f = FakeYahoo()
    monkeypatch.setattr(yahoo, "yf_download", f)
    return f


def test_fake_matches_yfinance_1x_shape():
    raw = yf_frames.download(["SPY", "AAPL"], DATES)
    assert raw.columns.names == ["Price", "Ticker"]
    assert list(raw.columns.get_level_values(0).unique()) == ["Close", "High", "Low", "Open", "Volume"]
    assert raw.index.name == "Date" and raw.index.tz is None
    unadjusted = yf_frames.download(["SPY"], DATES, auto_adjust=False)
    assert "Adj Close" in unadjusted.columns.get_level_values(0)


def test_single_ticker_downloads_once_then_reads_cache(fake, tmp_path):
    bars = load("yfinance:spy", cache_dir=tmp_path, start="2022-01-03", end="2022-02-25")
    assert symbols(bars) == ["SPY"]
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    expected = yf_frames.history("SPY", DATES.tz_localize("America/New_York"))
    np.testing.assert_allclose(bars["close"], expected["Close"].to_numpy()[: len(bars)])
    ((tickers, kwargs),) = fake.calls
    assert tickers == ["SPY"]
    # our end is inclusive, yfinance's exclusive: one day is added
    assert kwargs["start"] == "2022-01-03" and kwargs["end"] == "2022-02-26"
    assert kwargs["auto_adjust"] is True and kwargs["progress"] is False
    fake.error = ConnectionError("offline")  # the cache must answer now
    again = load("yfinance:SPY", cache_dir=tmp_path, start="2022-01-03", end="2022-02-25")
    pd.testing.assert_frame_equal(again, bars)
    assert len(fake.calls) == 1
    assert not list(tmp_path.glob("*.tmp")), "atomic writes leave no temporary files"


def test_universe_of_tickers(fake, tmp_path):
    uni = load("yfinance:AAPL,MSFT", cache_dir=tmp_path)
    assert symbols(uni) == ["AAPL", "MSFT"]
    assert uni.columns.names == ["symbol", "field"]
    assert len(list(tmp_path.glob("*.parquet"))) == 2  # one cache file per ticker


def test_unadjusted_prices_have_their_own_cache_entry(fake, tmp_path):
    adj = load("yfinance:SPY", cache_dir=tmp_path)
    raw = load("yfinance:SPY", cache_dir=tmp_path, auto_adjust=False)
    assert [c[1]["auto_adjust"] for c in fake.calls] == [True, False]
    # yfinance with auto_adjust=False gives Close and Adj Close; we keep the raw close
    expected = yf_frames.history("SPY", DATES.tz_localize("America/New_York"), auto_adjust=False)
    np.testing.assert_allclose(raw["close"], expected["Close"].to_numpy())
    assert len(adj) == len(raw)


def test_tz_aware_index_becomes_local_dates(monkeypatch, tmp_path):
    monkeypatch.setattr(yahoo, "yf_download", FakeYahoo(ignore_tz=False))
    bars = load("yfinance:SPY", cache_dir=tmp_path)
    assert bars.index.tz is None and bars.index[0] == DATES[0]
    assert frame_info(bars).timezone == {"SPY": "America/New_York"}


def test_different_calendars_are_gaps_unless_filled(monkeypatch, tmp_path):
    monkeypatch.setattr(yahoo, "yf_download", FakeYahoo(missing_days={"EWJ": ["2022-01-10"]}))
    with pytest.raises(DataError, match=r"EWJ: 1 row\(s\) with missing values inside the data .* first on 2022-01-10"):
        load("yfinance:SPY,EWJ", cache_dir=tmp_path)
    with pytest.warns(DataWarning, match="filled 1 row"):
        uni = load("yfinance:SPY,EWJ", cache_dir=tmp_path, fill="ffill")
    assert frame_info(uni).filled_rows["EWJ"] == 1


def test_failed_ticker_names_cache_and_offline_alternatives(monkeypatch, tmp_path):
    monkeypatch.setattr(yahoo, "yf_download", FakeYahoo(failed=("XYZ",)))
    with pytest.raises(
        DataError, match=rf"yfinance returned no data for XYZ.*cache at {tmp_path} holds no usable copy.*embedded:sp500"
    ):
        load("yfinance:SPY,XYZ", cache_dir=tmp_path)
    # the ticker that worked was cached all the same
    assert len(list(tmp_path.glob("SPY__*.parquet"))) == 1


def test_network_error_is_explained(fake, tmp_path):
    fake.error = ConnectionError("Failed to resolve host")
    with pytest.raises(
        DataError,
        match=r"no data for SPY \(ConnectionError: Failed to resolve host\).*network may be unreachable.*csv:PATH",
    ):
        load("yfinance:SPY", cache_dir=tmp_path)


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign"])
def test_corrupt_cache_is_detected_and_refetched(fake, tmp_path, damage):
    load("yfinance:SPY", cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.parquet")
    data = path.read_bytes()
    if damage == "truncate":  # a partial write by some other tool
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # bytes changed inside the data pages
        mid = len(data) // 3
        path.write_bytes(data[:mid] + bytes(b ^ 0xFF for b in data[mid : mid + 64]) + data[mid + 64 :])
    else:  # a valid parquet file that tradecast did not write
        pd.DataFrame({"Close": [1.0]}).to_parquet(path)
    with pytest.warns(DataWarning, match=r"yfinance cache: .*; deleting it and downloading SPY again"):
        bars = load("yfinance:SPY", cache_dir=tmp_path)
    assert len(fake.calls) == 2
    read_parquet_checked(path)  # the refetched file is whole again
    assert len(bars) == len(DATES)


def test_stale_open_ended_copy_is_refreshed_or_used_offline(fake, tmp_path):
    yahoo.fetch(["SPY"], cache_dir=tmp_path)
    yahoo.fetch(["SPY"], cache_dir=tmp_path, max_age=timedelta(0))
    assert len(fake.calls) == 2, "a stale open-ended copy is fetched again"
    fake.error = ConnectionError("offline")
    with pytest.warns(DataWarning, match=r"could not refresh SPY; using the cached copy"):
        out = yahoo.fetch(["SPY"], cache_dir=tmp_path, max_age=timedelta(0))
    assert len(out["SPY"]) == len(DATES)


def test_refresh_ignores_cache(fake, tmp_path):
    load("yfinance:SPY", cache_dir=tmp_path)
    load("yfinance:SPY", cache_dir=tmp_path, refresh=True)
    assert len(fake.calls) == 2


def test_default_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("TRADECAST_CACHE", str(tmp_path))
    assert yahoo.default_cache_dir() == tmp_path / "yfinance"


def test_a_cache_dir_that_is_a_file_and_a_cache_entry_that_is_a_folder_are_messages(fake, tmp_path):
    from engine.yahoo import cache_path

    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match=r"the yfinance cache_dir .*file is a file, not a folder"):
        load("yfinance:SPY", start="2022-01-03", cache_dir=tmp_path / "file")
    entry = cache_path(tmp_path / "c", "SPY", start="2022-01-03", end=None, auto_adjust=True)
    entry.mkdir(parents=True)
    with pytest.raises(DataError, match=r"the yfinance cache entry of SPY, .* is a folder, not a file"):
        load("yfinance:SPY", start="2022-01-03", cache_dir=tmp_path / "c")
