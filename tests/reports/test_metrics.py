"""Point metrics by hand, and the price-versus-return table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.metrics import (
    forecast_table,
    model_confidence_set,
    price_metrics,
    regimes,
    split_table,
)
from signals.autoreg import ArForecaster
from tests.signals.frames import sp500


def test_price_levels_flatter_and_returns_tell_the_truth():
    frame = sp500()
    train, test = frame.loc[:"2007-12-31"], frame.loc["2008-01-01":].index
    fc = ArForecaster(n_lags=5, target="price").fit(train).predict(frame, test)
    table = price_metrics(fc, frame)
    # price levels: model and "no change" both look excellent
    assert table.loc[("price", "ar5"), "r2"] > 0.95 and table.loc[("price", "persistence"), "r2"] > 0.95
    # returns: the same forecast explains next to nothing
    assert table.loc[("return", "ar5"), "r2"] < 0.05
    # direction at price level is the direction of the change from the last close, not the
    # sign of a price (always positive: 1.000 for every model before); "no change" calls none
    assert table.loc[("price", "ar5"), "direction"] == table.loc[("return", "ar5"), "direction"] < 0.6
    assert np.isnan(table.loc[("price", "persistence"), "direction"])
    # the implied return is exactly log(forecast / previous close)
    prev = frame["close"].shift(1).reindex(test)
    ret_fc = ArForecaster(n_lags=5).fit(train).predict(frame, test)
    np.testing.assert_allclose(np.log(fc / prev), ret_fc, rtol=1e-10)


# --------------------------------------------------------------------------- forecast evaluation


def test_forecast_table_losses_by_hand():
    idx = pd.bdate_range("2020-01-01", periods=3)
    y = pd.Series([1.0, 2.0, 4.0], index=idx)
    fc = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": [2.0, 2.0, 4.0]}, index=idx)
    t = forecast_table(fc, y, mcs_reps=50)
    # a: ratios y/f = 1, 2, 2 -> QLIKE = (0 + (1 - ln 2) + (1 - ln 2)) / 3 ; MSE = (0 + 1 + 4) / 3
    assert t.loc["a", "qlike"] == pytest.approx(2 * (1 - np.log(2)) / 3)
    assert t.loc["a", "mse"] == pytest.approx(5 / 3)
    # b: ratios 0.5, 1, 1 -> QLIKE = (0.5 + ln 2 - 1) / 3 ; MSE = 1 / 3
    assert t.loc["b", "qlike"] == pytest.approx((0.5 + np.log(2) - 1) / 3)
    assert t.loc["b", "mse"] == pytest.approx(1 / 3)
    assert list(t.index) == ["b", "a"]  # best QLIKE first


def test_mcs_keeps_the_true_model():
    # Realised variance = true variance x chi2(1); the true variance is the best forecast,
    # the others are it distorted by 30 %, 60 % and a constant.
    rng = np.random.default_rng(7)
    n = 1500
    true = 1e-4 * np.exp(np.cumsum(rng.normal(0, 0.05, n)))
    y = true * rng.chisquare(1, n)
    idx = pd.bdate_range("2010-01-01", periods=n)
    fc = pd.DataFrame(
        {"true": true, "high": 1.3 * true, "low": 0.6 * true, "const": np.full(n, true.mean())}, index=idx
    )
    t = forecast_table(fc, pd.Series(y, index=idx), baseline="const", mcs_reps=300)
    assert bool(t.loc["true", "in_mcs"])
    assert not bool(t.loc["const", "in_mcs"]) and not bool(t.loc["low", "in_mcs"])
    assert t.loc["true", "dm_stat"] < 0 and t.loc["true", "dm_pvalue"] < 0.05
    p = model_confidence_set(pd.DataFrame({"x": [1.0, 2.0]}))
    assert p["x"] == 1.0  # a single model is its own confidence set


def test_regimes_and_split_tables():
    idx = pd.bdate_range("2020-01-01", periods=4)
    vix = pd.Series([15.0, 25.0, 18.0, 30.0], index=idx)
    lab = regimes(idx, vix=vix)
    # the regime of a day is set by the VIX close before it
    assert lab.tolist()[1:] == ["calm", "crisis", "calm"] and pd.isna(lab.iloc[0])
    assert lab.attrs["rule"] == "VIX above 20 (the close before each day)"
    y = pd.Series([1.0, 1.0, 2.0, 2.0], index=idx)
    fc = pd.DataFrame({"m": [1.0, 2.0, 2.0, 2.0]}, index=idx)
    tab = split_table(fc, y, lab)
    assert tab.loc["calm", "m"] == pytest.approx(((0.5 - np.log(0.5) - 1) + 0) / 2)
    assert tab.loc["crisis", "m"] == pytest.approx(0.0) and tab.loc["crisis", "n"] == 1


def test_a_crisis_has_one_definition_across_the_sample():
    # VIX known on the last half only (arch's VIX starts in 2014): the variance rule labels every
    # day, instead of VIX on one half and the variance rule on the other
    idx = pd.bdate_range("2010-01-01", periods=400)
    rng = np.random.default_rng(3)
    rv = pd.Series(np.exp(rng.normal(-9, 1, 400)), index=idx)
    vix = pd.Series(np.where(np.arange(400) >= 200, 35.0, np.nan), index=idx)  # every known VIX day a "crisis"
    lab = regimes(idx, vix=vix, rv=rv)
    by_rv = regimes(idx, rv=rv)
    pd.testing.assert_series_equal(lab, by_rv)
    assert (lab.iloc[250:] == "calm").any(), "the VIX days are labelled by the variance rule too"
    assert lab.attrs["rule"].startswith("trailing 22-day realised variance") and "VIX covers 50 %" in lab.attrs["rule"]


# --------------------------------------------------------------------------- return and price leaderboards

from reports.metrics import historical_mean_forecast, price_table, return_table  # noqa: E402


def test_return_table_against_its_benchmarks_by_hand():
    frame = sp500()
    test = frame.loc["2009-01-01":].index
    rng = np.random.default_rng(3)
    y = frame["return"].shift(-0).reindex(test)
    fc = pd.DataFrame(
        {
            "noisy": 0.3 * y + rng.normal(0, 0.004, len(test)),
            "zero": 0.0,
            "mean": historical_mean_forecast(frame, test),
        },
        index=test,
    )
    t = return_table(fc, frame, mcs_reps=100)
    ok = y.notna()
    sse = lambda f: float(((y[ok] - f[ok]) ** 2).sum())  # noqa: E731
    # the historical mean by pandas: every return up to the day before each target date
    hist = frame["return"].expanding().mean().shift(1).reindex(test)
    np.testing.assert_allclose(fc["mean"], hist, rtol=1e-12)
    assert t.loc["noisy", "r2_vs_zero"] == pytest.approx(1 - sse(fc["noisy"]) / sse(fc["zero"]), rel=1e-12)
    assert t.loc["noisy", "r2_vs_mean"] == pytest.approx(1 - sse(fc["noisy"]) / sse(hist), rel=1e-12)
    assert t.loc["zero", "r2_vs_zero"] == 0 and t.loc["mean", "r2_vs_mean"] == pytest.approx(0, abs=1e-12)
    assert t.loc["noisy", "r2_vs_zero"] > 0.1, "a forecast that knows 30 % of the return beats zero"
    assert t.loc["noisy", "always_long"] == pytest.approx(float((y[ok & (y != 0)] > 0).mean()))
    assert t.loc["noisy", "dm_pvalue_vs_zero"] < 0.01 and t.loc["noisy", "dm_stat_vs_zero"] < 0
    assert list(t.index)[0] == "noisy"  # sorted by MSE


def test_price_table_judges_against_the_random_walk():
    frame = sp500()
    test = frame.loc["2009-01-01":].index
    last = frame["close"].shift(1).reindex(test)
    fc = pd.DataFrame({"rw": last, "drift": last * 1.001}, index=test)
    t = price_table(fc, frame, mcs_reps=100)
    y = frame["close"].reindex(test)
    assert t.loc["rw", "skill_vs_rw"] == 0 and t.loc["rw", "r2"] > 0.98, (
        "level R² near 1 is what the random walk scores"
    )
    assert t.loc["drift", "mape"] == pytest.approx(100 * float(((y - 1.001 * last).abs() / y).mean()), rel=1e-12)
    assert t.loc["drift", "skill_vs_rw"] == pytest.approx(
        1 - float(((y - 1.001 * last) ** 2).mean()) / float(((y - last) ** 2).mean()), rel=1e-12
    )
    assert np.isnan(t.loc["rw", "direction"]) and t.loc["drift", "direction"] == pytest.approx(
        float((y > last).mean()), rel=1e-12
    )


def test_absolute_return_table_against_the_historical_mean_by_hand():
    from reports.metrics import absolute_return_table

    frame = sp500()
    test = frame.loc["2009-01-01":].index
    y = frame["return"].abs().reindex(test)
    mean = frame["return"].abs().expanding().mean().shift(1).reindex(test)  # pandas, apart from signals.naive
    rv_based = np.sqrt(2 / np.pi * frame["rv"].shift(1)).reindex(test)  # E|r| of a normal return with variance rv
    t = absolute_return_table(pd.DataFrame({"mean": mean, "rv": rv_based}), frame, mcs_reps=100)
    ok = y.notna() & rv_based.notna()
    sse = lambda f: float(((y[ok] - f[ok]) ** 2).sum())  # noqa: E731
    assert t.loc["mean", "r2_vs_mean"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["rv", "r2_vs_mean"] == pytest.approx(1 - sse(rv_based) / sse(mean), rel=1e-10)
    assert t.loc["rv", "r2_vs_mean"] > 0.05 and t.loc["rv", "dm_stat_vs_mean"] < 0, (
        "yesterday's range beats the long-run mean"
    )
    # the benchmark itself, computed another way, equals it to rounding: no DM test on rounding noise
    assert np.isnan(t.loc["mean", "dm_pvalue_vs_mean"])


def test_the_leaderboard_carries_spa_and_says_it_in_words():
    from reports.html import spa_line
    from reports.metrics import forecast_table

    frame = sp500()
    idx = frame.index[-700:]
    rv = frame["rv"].loc[idx]
    weekly = frame["rv"].rolling(5).mean().shift(1).loc[idx]  # last week's mean: a forecast made the day before
    fc = pd.DataFrame({"good": weekly, "flat": pd.Series(rv.mean(), idx), "bad": 3 * rv.mean()}, idx)
    table = forecast_table(fc, frame["rv"], baseline="flat", mcs_reps=300)
    assert table["spa_pvalue"].between(0, 1).all()
    assert table.loc["flat", "spa_pvalue"] < 0.05  # yesterday's rv beats a constant
    line = spa_line(table, "flat")
    assert line is not None and "2 rivals" in line and "some model beats it" in line
    assert spa_line(table, None) is None
