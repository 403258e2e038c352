"""engine.data: sources, layouts and every validation error."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.frameinfo import frame_info
from engine.data import DataError, DataWarning, by_symbol, load, symbols, validate


def make_bars(n: int = 30, start: str = "2020-01-01", seed: int = 0, upper: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": rng.integers(100, 1000, n).astype(float)},
        index=pd.bdate_range(start, periods=n, name="date"),
    )
    if upper:
        frame.columns = [c.capitalize() for c in frame.columns]
    return frame


# --------------------------------------------------------------------------- embedded


@pytest.mark.parametrize(("name", "symbol"), [("sp500", "SP500"), ("nasdaq", "NASDAQ")])
def test_embedded_index_data(name, symbol):
    bars = load(f"embedded:{name}")
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert bars.index[0] == pd.Timestamp("1999-01-04") and bars.index[-1] == pd.Timestamp("2018-12-31")
    assert len(bars) == 5031 and bars.index.name == "date"
    assert frame_info(bars).symbols == (symbol,) and symbols(bars) == [symbol]
    assert bars.dtypes.eq(float).all()


def test_embedded_vix_drops_holiday_rows_and_says_so():
    vix = load("embedded:vix")
    assert list(vix.columns) == ["close"]
    assert vix["close"].notna().all() and len(vix) == 1305 - 46
    assert any("46 market-holiday rows" in n for n in frame_info(vix).notes)


def test_start_end_are_inclusive():
    bars = load("embedded:sp500", start="2008-01-02", end="2008-12-31")
    assert bars.index[0] == pd.Timestamp("2008-01-02") and bars.index[-1] == pd.Timestamp("2008-12-31")


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("embedded:dax", r"embedded dataset 'dax' does not exist; choose one of embedded:sp500"),
        ("ftp:prices", r"source 'ftp:prices' is not recognised. Valid forms: embedded:sp500"),
        ("csv:", r"source 'csv:' names no path"),
        ("", r"source must be a string"),
        ("csv:/nonexistent/prices.csv", r"csv file not found: /nonexistent/prices.csv"),
    ],
)
def test_bad_sources(source, match):
    with pytest.raises(DataError, match=match):
        load(source)


def test_bad_options():
    with pytest.raises(DataError, match=r"fill must be one of 'error', 'ffill'; got 'bfill'"):
        load("embedded:sp500", fill="bfill")
    with pytest.raises(DataError, match=r"start=2010-01-01 is after end=2009-01-01"):
        load("embedded:sp500", start="2010-01-01", end="2009-01-01")
    with pytest.raises(DataError, match=r"start must be a date such as '2008-01-01'; got 'soon'"):
        load("embedded:sp500", start="soon")
    with pytest.raises(DataError, match=r"no rows between start=2030-01-01"):
        load("embedded:sp500", start="2030-01-01")


# --------------------------------------------------------------------------- files


def test_csv_single_symbol_case_insensitive(tmp_path):
    frame = make_bars(upper=True)
    frame.index.name = "DATE"
    frame = frame.rename(columns={"Volume": "VOLUME", "Low": "low"})
    path = tmp_path / "spy.csv"
    frame.to_csv(path)
    bars = load(f"csv:{path}")
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert frame_info(bars).symbols == ("spy",)
    np.testing.assert_allclose(bars["close"], frame["Close"])
    # A path ending in .csv needs no prefix.
    pd.testing.assert_frame_equal(load(str(path)), bars)


def test_csv_adj_close_adjusts_ohlc(tmp_path):
    frame = make_bars(5)
    frame["Adj Close"] = frame["close"] * 0.5
    path = tmp_path / "x.csv"
    frame.to_csv(path)
    adjusted = load(f"csv:{path}")
    np.testing.assert_allclose(adjusted["close"], frame["close"] * 0.5)
    np.testing.assert_allclose(adjusted["high"], frame["high"] * 0.5)
    assert "adj_close" not in adjusted.columns
    raw = load(f"csv:{path}", auto_adjust=False)
    np.testing.assert_allclose(raw["close"], frame["close"])


def test_csv_long_universe(tmp_path):
    a, b = make_bars(20, seed=1), make_bars(15, start="2020-01-08", seed=2)
    long = pd.concat([a.assign(Ticker="AAA"), b.assign(Ticker="BBB")]).reset_index().rename(columns={"date": "Date"})
    path = tmp_path / "universe.csv"
    long.to_csv(path, index=False)
    uni = load(f"csv:{path}")
    assert uni.columns.names == ["symbol", "field"]
    assert symbols(uni) == ["AAA", "BBB"]
    # BBB starts later: its rows before listing are NaN, not a gap.
    assert uni["BBB"].loc[:"2020-01-07"].isna().all().all()
    parts = by_symbol(uni)
    np.testing.assert_allclose(parts["BBB"]["close"], b["close"])
    assert frame_info(parts["BBB"]).symbols == ("BBB",)


def test_csv_wide_yfinance_layout(tmp_path):
    from tests.engine import yf_frames

    dates = pd.bdate_range("2021-01-04", periods=12)
    raw = yf_frames.download(["MSFT", "AAPL"], dates)
    path = tmp_path / "yf.csv"
    raw.to_csv(path)  # three header rows: Price, Ticker, Date
    uni = load(f"csv:{path}")
    assert symbols(uni) == ["AAPL", "MSFT"]
    np.testing.assert_allclose(uni[("MSFT", "close")], raw[("Close", "MSFT")])


def test_csv_wide_close_only(tmp_path):
    dates = pd.bdate_range("2021-01-04", periods=10)
    wide = pd.DataFrame({"date": dates, "AAA": np.linspace(10, 11, 10), "BBB": np.linspace(20, 19, 10)})
    path = tmp_path / "closes.csv"
    wide.to_csv(path, index=False)
    uni = load(f"csv:{path}")
    assert symbols(uni) == ["AAA", "BBB"]
    assert list(uni["AAA"].columns) == ["close"]


def test_parquet_single_and_wide(tmp_path):
    single = make_bars()
    single.to_parquet(tmp_path / "one.parquet")
    pd.testing.assert_frame_equal(
        load(f"parquet:{tmp_path / 'one.parquet'}"), single, check_names=False, check_freq=False
    )
    wide = pd.concat({"X": make_bars(seed=3), "Y": make_bars(seed=4)}, axis=1)
    wide.to_parquet(tmp_path / "two.parquet")
    uni = load(f"parquet:{tmp_path / 'two.parquet'}")
    assert symbols(uni) == ["X", "Y"]
    np.testing.assert_allclose(uni[("Y", "close")], wide[("Y", "close")])


def test_close_only_data_loads(tmp_path):
    frame = make_bars()[["close"]]
    frame.to_csv(tmp_path / "c.csv")
    assert list(load(f"csv:{tmp_path / 'c.csv'}").columns) == ["close"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"is empty: no header and no rows"),
        ("date,name,comment\n2020-01-01,a,b\n", r"cannot find price columns among \['date', 'name', 'comment'\]"),
        ("close\n1.0\n2.0\n", r"has no dates: the row labels are int64 values.*name the date column 'date'"),
        (
            "date,close\n2020-01-01,1.0\nnot a date,2.0\n",
            r"1 date\(s\) cannot be parsed, the first 'not a date' at row 1",
        ),
        (
            "date,close\n2020-01-01,1.0\n2020-01-02,n/a?\n",
            r"column 'close' holds non-numeric values, the first 'n/a\?' on 2020-01-02",
        ),
    ],
)
def test_unreadable_layouts(tmp_path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        load(f"csv:{tmp_path / 'bad.csv'}")


# --------------------------------------------------------------------------- validation errors


def test_empty_data():
    with pytest.raises(DataError, match=r"demo: the data is empty \(no rows\)"):
        validate(make_bars().iloc[:0], symbol="demo")


def test_non_datetime_index():
    with pytest.raises(DataError, match=r"demo: the index must hold dates \(a DatetimeIndex\); found a RangeIndex"):
        validate(make_bars().reset_index(drop=True), symbol="demo")


def test_unsorted_index():
    frame = make_bars()
    frame = frame.iloc[[0, 2, 1] + list(range(3, len(frame)))]
    with pytest.raises(
        DataError,
        match=r"demo: dates are not sorted: 2020-01-02 comes after 2020-01-03 \(row 2; 1 such place\(s\)\).*sort_index",
    ):
        validate(frame, symbol="demo")


def test_duplicate_dates():
    frame = make_bars()
    frame = pd.concat([frame.iloc[:5], frame.iloc[4:]])
    with pytest.raises(DataError, match=r"demo: 1 duplicate date\(s\), the first 2020-01-07"):
        validate(frame, symbol="demo")


@pytest.mark.parametrize("value", [0.0, -1.0, np.inf])
def test_non_positive_prices(value):
    frame = make_bars()
    frame.iloc[3, frame.columns.get_loc("low")] = value
    with pytest.raises(DataError, match=r"demo: non-positive or infinite price .* in column 'low' on 2020-01-06"):
        validate(frame, symbol="demo")


def test_high_below_body():
    frame = make_bars()
    frame.iloc[4, frame.columns.get_loc("high")] = frame["close"].iloc[4] * 0.98
    with pytest.raises(DataError, match=r"demo: high below max\(open, close\) on 2020-01-07 \(open=.*1 such row"):
        validate(frame, symbol="demo")


def test_low_above_body():
    frame = make_bars()
    frame.iloc[6, frame.columns.get_loc("low")] = frame[["open", "close"]].iloc[6].max() * 1.001
    with pytest.raises(DataError, match=r"demo: low above min\(open, close\) on 2020-01-09"):
        validate(frame, symbol="demo")


def test_rounding_sized_excursion_is_accepted():
    frame = make_bars()
    frame.iloc[4, frame.columns.get_loc("high")] = frame[["open", "close"]].iloc[4].max() * (1 - 1e-9)
    assert len(validate(frame, symbol="demo")) == len(frame)


def test_negative_volume():
    frame = make_bars()
    frame.iloc[2, frame.columns.get_loc("volume")] = -5.0
    with pytest.raises(DataError, match=r"demo: negative or infinite volume -5 on 2020-01-03"):
        validate(frame, symbol="demo")


def test_nan_gap_is_an_error_by_default():
    frame = make_bars()
    frame.iloc[5] = np.nan
    with pytest.raises(
        DataError,
        match=r"demo: 1 row\(s\) with missing values inside the data \(columns open, high, low, close, volume\), "
        r"first on 2020-01-08. Hint: pass fill='ffill'",
    ):
        validate(frame, symbol="demo")


def test_ffill_fills_flat_bar_and_reports_count():
    frame = make_bars()
    frame.iloc[5] = np.nan
    with pytest.warns(DataWarning, match=r"fill='ffill' filled 1 row\(s\) of demo with the previous close"):
        out = validate(frame, symbol="demo", fill="ffill")
    assert frame_info(out).filled_rows == {"demo": 1}
    prev_close = frame["close"].iloc[4]
    assert out.iloc[5][["open", "high", "low", "close"]].tolist() == [prev_close] * 4
    assert out["volume"].iloc[5] == 0.0


def test_ffill_never_invents_a_range(tmp_path):
    # a day with a close but no open, high or low: a filled range would be a made-up volatility
    frame = make_bars()
    frame.iloc[9, frame.columns.get_loc("open")] = np.nan
    with pytest.raises(
        DataError,
        match=r"demo: 1 day\(s\) have a close but no open, high or low, the first on 2020-01-14\. "
        r"fill='ffill' carries a missing close forward; it does not invent ranges",
    ):
        validate(frame, symbol="demo", fill="ffill")
    # an asset with closes and no ranges at all beside assets with bars is read close-only, and said so
    other = make_bars(seed=1)
    other[["open", "high", "low"]] = np.nan
    wide = pd.concat({"A": make_bars(), "B": other}, axis=1)
    wide.iloc[7, wide.columns.get_loc(("A", "close"))] = np.nan  # so that fill='ffill' has a gap to fill
    wide.iloc[7, [wide.columns.get_loc(("A", c)) for c in ("open", "high", "low")]] = np.nan
    wide.to_parquet(tmp_path / "universe.parquet")
    with pytest.warns(DataWarning, match=r"B: no open, high or low on any day: read as close-only"):
        out = load(f"parquet:{tmp_path / 'universe.parquet'}", fill="ffill")
    assert list(out["B"].columns) == ["close", "volume"] and list(out["A"].columns)[:3] == ["open", "high", "low"]
    # and a range estimator refuses it by name rather than reading a made-up 7 % volatility
    from engine.config import ConfigError
    from engine.stages import _check_estimator

    with pytest.raises(ConfigError, match=r"estimator = 'garman_klass' needs open, high and low bars, but B has no"):
        _check_estimator("garman_klass", by_symbol(out))


def test_ffill_cannot_fill_first_row():
    frame = make_bars()
    frame.iloc[0, frame.columns.get_loc("close")] = np.nan
    with pytest.raises(DataError, match=r"demo: the bar on 2020-01-01 cannot be filled: no earlier close"):
        validate(frame, symbol="demo", fill="ffill")


def test_leading_and_trailing_empty_rows_are_trimmed_and_counted():
    frame = make_bars()
    frame.iloc[:2] = np.nan
    frame.iloc[-1] = np.nan
    out = validate(frame, symbol="demo")
    assert len(out) == len(frame) - 3 and frame_info(out).trimmed_rows == {"demo": 3}


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        (["open", "close", "volume"], r"demo: has open but is missing high, low"),
        (
            ["open", "high", "low", "volume"],
            r"demo: missing column 'close' \(found \['high', 'low', 'open', 'volume'\]\)",
        ),
    ],
)
def test_missing_columns_are_named(columns, match):
    with pytest.raises(DataError, match=match):
        validate(make_bars()[columns], symbol="demo")


def test_too_few_rows_for_windows():
    with pytest.raises(DataError, match=r"demo: too few rows: 30 bars, but at least 100 are required"):
        validate(make_bars(), symbol="demo", min_rows=100)
    with pytest.raises(DataError, match=r"min_rows must be a positive integer or None; got 0"):
        load("embedded:sp500", min_rows=0)


def test_tz_aware_index_keeps_local_dates():
    frame = make_bars()
    frame.index = frame.index.tz_localize("America/New_York")
    out = validate(frame, symbol="demo")
    assert out.index.tz is None and out.index[0] == pd.Timestamp("2020-01-01")
    assert frame_info(out).timezone == {"demo": "America/New_York"}


def test_intraday_rows_are_refused():
    frame = make_bars(4)
    frame.index = pd.DatetimeIndex(["2020-01-02 10:00", "2020-01-02 11:00", "2020-01-03 10:00", "2020-01-06 10:00"])
    with pytest.raises(DataError, match=r"several bars fall on the same day 2020-01-02.*resample intraday"):
        validate(frame, symbol="demo")


def test_universe_missing_day_inside_span_is_a_gap(tmp_path):
    a, b = make_bars(20, seed=1), make_bars(20, seed=2)
    b = b.drop(index=b.index[7])
    long = pd.concat([a.assign(symbol="A"), b.assign(symbol="B")]).reset_index()
    path = tmp_path / "u.csv"
    long.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"B: 1 row\(s\) with missing values inside the data .* first on 2020-01-10"):
        load(f"csv:{path}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        uni = load(f"csv:{path}", fill="ffill")
    assert frame_info(uni).filled_rows == {"A": 0, "B": 1}
    assert uni[("B", "close")].iloc[7] == uni[("B", "close")].iloc[6]


# --------------------------------------------------------------------------- CSV dialects and data that loads but is
# wrong

import gzip as _gzip  # noqa: E402

_DAYS = pd.bdate_range("2020-01-06", periods=40)
_PX = [100 + 0.3 * i + (i % 3) for i in range(40)]


def _csv(rows, header="date,close", sep=","):
    return (header.replace(",", sep) + "\n" + "\n".join(sep.join(map(str, r)) for r in rows) + "\n").encode()


def _plain():
    return _csv([(d.date(), p) for d, p in zip(_DAYS, _PX, strict=True)])


def _file(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return f"csv:{path}"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("bom.csv", lambda: b"\xef\xbb\xbf" + _plain()),
        ("zipped.csv.gz", lambda: _gzip.compress(_plain())),
        (
            "euro.csv",
            lambda: _csv([(d.date(), str(p).replace(".", ",")) for d, p in zip(_DAYS, _PX, strict=True)], sep=";"),
        ),
        (
            "dst.csv",
            lambda: _csv(
                [
                    (f"{d.date()}T16:00:00{'-05:00' if d < pd.Timestamp('2020-02-10') else '-04:00'}", p)
                    for d, p in zip(_DAYS, _PX, strict=True)
                ]
            ),
        ),
    ],
)
def test_csv_dialects_load_the_same_bars(tmp_path, name, make):
    bars = load(_file(tmp_path, name, make()))
    assert list(bars.index) == list(_DAYS) and np.allclose(bars["close"], _PX)


@pytest.mark.parametrize(
    ("name", "make", "match"),
    [
        (
            "latin.csv",
            lambda: _plain().replace(b"date", b"d\xe4te"),
            r"is not UTF-8 text \(byte 0xe4 at position 1.*Hint: re-encode it, e.g. iconv -f cp1252 -t utf-8",
        ),
        (
            "ambiguous.csv",
            lambda: _csv([(f"0{d.day % 9 + 1}/0{d.month}/2020", p) for d, p in zip(_DAYS[:8], _PX, strict=False)]),
            r"dates such as '0\d/01/2020' read either day-first or month-first.*Hint: write ISO dates",
        ),
        (
            "weekly.csv",
            lambda: _csv(
                [(d.date(), p) for d, p in zip(pd.date_range("2015-01-02", periods=40, freq="W-FRI"), _PX, strict=True)]
            ),
            r"bars are a median 7 days apart: weekly bars, not daily ones",
        ),
        (
            "monthly.csv",
            lambda: _csv(
                [(d.date(), p) for d, p in zip(pd.date_range("2015-01-30", periods=40, freq="BME"), _PX, strict=True)]
            ),
            r"bars are a median \d+ days apart: monthly bars",
        ),
        (
            "shifted.csv",
            lambda: _csv([((d - pd.Timedelta(days=1)).date(), p) for d, p in zip(_DAYS, _PX, strict=True)]),
            r"bars fall on Sundays and none on Fridays: the dates look shifted by a time zone",
        ),
        (
            "tiny.csv",
            lambda: _csv([(d.date(), p * 1e-12) for d, p in zip(_DAYS, _PX, strict=True)]),
            r"is below 1e-08, too small for a backtest's order sizing. Hint: scale the prices",
        ),
        ("broken.csv.gz", lambda: _gzip.compress(_plain())[:30], r"is a damaged gzip file"),
    ],
)
def test_bad_csvs_are_refused_with_the_reason(tmp_path, name, make, match):
    with pytest.raises(DataError, match=match):
        load(_file(tmp_path, name, make()))


def test_day_first_dates_are_named_as_such(tmp_path):
    rows = [(f"{d.day:02d}/{d.month:02d}/{d.year}", p) for d, p in zip(_DAYS, _PX, strict=True)]
    with pytest.warns(DataWarning, match=r"dates read as day-first \(DD/MM/YYYY\): '\d\d/01/2020' is day 1\d"):
        bars = load(_file(tmp_path, "dmy.csv", _csv(rows)))
    assert list(bars.index) == list(_DAYS), "read as days, not reported as 'not sorted'"


@pytest.mark.parametrize(
    ("name", "make", "match"),
    [
        (
            "split.csv",
            lambda: _csv(
                [(d.date(), p / 2 if i >= 20 else p) for i, (d, p) in enumerate(zip(_DAYS, _PX, strict=True))]
            ),
            r"a one-day move of -\d\d % on 2020-02-03, \d+ times the series' median daily move.*an unadjusted split\?",
        ),
        (
            "weekend.csv",
            lambda: _csv([(d.date(), p) for d, p in zip(pd.date_range("2020-01-06", periods=40), _PX, strict=True)]),
            r"bars fall on weekends, the first on 2020-01-11. Fine for an asset that trades every day",
        ),
    ],
)
def test_suspicious_data_is_warned_about(tmp_path, name, make, match):
    with pytest.warns(DataWarning, match=match):
        load(_file(tmp_path, name, make()))


def test_intraday_bars_become_daily_bars_with_realized_measures(tmp_path):
    from signals.features import feature_frame
    from signals.harx import HarxForecaster
    from signals.intraday import realized_measures
    from tests.signals.test_intraday import simulate

    intraday, _, _ = simulate(120, seed=9, gap=0.005)
    intraday.index.name = "timestamp"
    path = tmp_path / "spy_1min.csv"
    intraday.to_csv(path)
    with pytest.raises(DataError, match=r"several bars fall on the same day.*intraday=True"):
        load(f"csv:{path}")
    twice = pd.concat([intraday.iloc[:5], intraday.iloc[4:]])  # one timestamp listed twice
    twice.to_csv(tmp_path / "twice.csv")
    with pytest.raises(DataError, match=r"1 intraday timestamp\(s\) appear twice, the first "):
        load(f"csv:{tmp_path / 'twice.csv'}", intraday=True)
    bars = load(f"csv:{path}", intraday=True)
    want = realized_measures(intraday)
    assert frame_info(bars).intraday and len(bars) == 120
    np.testing.assert_allclose(bars["realized"], want["realized"], rtol=1e-12)
    np.testing.assert_allclose(bars["close"], want["close"], rtol=1e-12)
    added = load(f"csv:{path}", intraday=True, intraday_overnight="add")
    np.testing.assert_allclose(added["realized"], bars["realized"] + bars["overnight"].fillna(0) ** 2, rtol=1e-12)
    frame = feature_frame(bars, estimator="realized")
    np.testing.assert_allclose(frame["rv"], bars["realized"], rtol=1e-12)
    assert {"bv", "rs_pos", "rs_neg", "rq"} <= set(frame.columns)
    train = frame.iloc[:100]
    rs = HarxForecaster(log=False, semivariance=True, quarticity=True, lags=(1, 5)).fit(train)
    assert list(rs.coef_.index) == ["const", "rs_pos", "rs_neg", "har_5", "rq_har_1", "lev_1", "lev_5"]
    with pytest.raises(DataError, match=r"estimator='realized' reads the realized variance of intraday bars"):
        feature_frame(load("embedded:sp500", start="2018-01-01"), estimator="realized")
    with pytest.raises(DataError, match=r"intraday=True reads intraday bars from a CSV or parquet file"):
        load("embedded:sp500", intraday=True)
    daily = tmp_path / "daily.csv"
    bars[["open", "high", "low", "close"]].to_csv(daily)
    with pytest.raises(DataError, match=r"every day has one bar: these are daily bars"):
        load(f"csv:{daily}", intraday=True)


def test_a_column_named_twice_is_refused_not_read_as_a_phantom_asset(tmp_path):
    rows = [(d.date(), p, p * 2, p * 3) for d, p in zip(_DAYS, _PX, strict=True)]
    source = _file(tmp_path, "wide.csv", _csv(rows, header="date,SPX,NDX,SPX"))
    with pytest.raises(DataError, match=r"the header names the column 'SPX' twice .* read the second as 'SPX.1'"):
        load(source)


@pytest.mark.parametrize(
    ("stamp", "match"),
    [
        # two zones nine hours apart: each row's wall time is a different clock
        (
            lambda i, d: f"{d.date()}T16:00:00{'-05:00' if i % 2 else '+04:00'}",
            r"the dates' UTC offsets span 9 hours \('.*-05:00' and '.*\+04:00'\): stamps from different zones",
        ),
        # some with an offset, some without
        (
            lambda i, d: f"{d.date()}T16:00:00" + ("-05:00" if i < 20 else ""),
            r"some dates carry a UTC offset and some do not",
        ),
    ],
)
def test_timestamps_from_different_zones_are_refused(tmp_path, stamp, match):
    rows = [(stamp(i, d), p) for i, (d, p) in enumerate(zip(_DAYS, _PX, strict=True))]
    with pytest.raises(DataError, match=match):
        load(_file(tmp_path, "zones.csv", _csv(rows)))


def test_files_as_pandas_writes_them_are_read(tmp_path):
    frame = make_bars(40)
    # to_csv of a frame indexed by an unnamed date index: the date column's header is empty
    plain = frame.copy()
    plain.index.name = None
    plain.to_csv(tmp_path / "unnamed.csv")
    assert load(f"csv:{tmp_path / 'unnamed.csv'}")["close"].to_numpy() == pytest.approx(frame["close"].to_numpy())
    # a wide frame with (symbol, field) columns, as pandas writes it: two header rows and an index-name row
    wide = pd.concat({"AAA": frame, "BBB": make_bars(40, seed=1)}, axis=1, names=["symbol", "field"])
    wide.to_csv(tmp_path / "wide.csv")
    got = load(f"csv:{tmp_path / 'wide.csv'}")
    assert symbols(got) == ["AAA", "BBB"] and got["BBB"]["close"].iloc[0] == pytest.approx(wide["BBB"]["close"].iloc[0])
    # dates written as integers, 20200101
    ints = frame.reset_index()
    ints["date"] = ints["date"].dt.strftime("%Y%m%d").astype(int)
    ints.to_csv(tmp_path / "ints.csv", index=False)
    assert load(f"csv:{tmp_path / 'ints.csv'}").index[0] == pd.Timestamp("2020-01-01")


def test_errors_name_what_is_wrong_with_the_dates_and_prices(tmp_path):
    rows = [(d.date(), p) for d, p in zip(_DAYS, _PX, strict=True)]
    # some dates ISO, some day/month
    mixed = [(d if i < 20 else pd.Timestamp(d).strftime("%d/%m/%Y"), p) for i, (d, p) in enumerate(rows)]
    with pytest.raises(DataError, match=r"dates are written in two forms, ISO \('2020-01-06'\) and day/month"):
        load(_file(tmp_path, "mixed.csv", _csv(mixed)))
    # a symbol listed twice in a long file: not "dates are not sorted"
    long = [(d, "AAA", p) for d, p in rows] + [(d, "BBB", p) for d, p in rows] + [(d, "AAA", p) for d, p in rows]
    with pytest.raises(DataError, match=r"AAA: the dates start again at row 40 .* the symbol's bars are listed twice"):
        load(_file(tmp_path, "twice.csv", _csv(long, header="date,symbol,close")))
    # one vendor's bars stamped a trading day late: not the other asset's missing holidays
    open_days = [(d, p) for d, p in rows if str(d) != "2020-01-20"]  # a holiday, as an exchange keeps it
    late = [(d, "AAA", p) for d, p in open_days] + [
        ((pd.Timestamp(d) + pd.offsets.BDay(1)).date(), "BBB", p) for d, p in open_days
    ]
    with pytest.raises(DataError, match=r"BBB's dates look one trading day later than AAA's: BBB has 2020-01-20"):
        load(_file(tmp_path, "late.csv", _csv(late, header="date,symbol,close")))
    # an adjusted close of 0: named as such, not as a bad open
    frame = make_bars(40)
    frame["adj close"] = frame["close"]
    frame.iloc[7, frame.columns.get_loc("adj close")] = 0.0
    with pytest.raises(DataError, match=r"demo: adj close is 0 on 2020-01-10 \(1 such row\(s\)\)"):
        validate(frame, symbol="demo")
    # a folder named like a csv file
    (tmp_path / "prices.csv").mkdir()
    with pytest.raises(DataError, match=r"csv source .*prices.csv is a folder, not a file"):
        load(f"csv:{tmp_path / 'prices.csv'}")
