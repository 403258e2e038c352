"""Point metrics by hand, and the price-versus-return table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.metrics import (
    diebold_mariano,
    forecast_table,
    mincer_zarnowitz,
    model_confidence_set,
    point_metrics,
    price_metrics,
    regimes,
    split_table,
)
from signals.autoreg import ArForecaster
from tests.signals.frames import sp500


def test_point_metrics_by_hand():
    # y = (1, 2, 3), f = (1, 1, 4): errors (0, 1, -1)
    m = point_metrics([1.0, 2.0, 3.0], [1.0, 1.0, 4.0])
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert m["r2"] == pytest.approx(1 - 2 / 2)  # SST = 2
    assert m["direction"] == 1.0
    # y = (1, -1), f = (-1, -2) after dropping the NaN pair: errors (2, 1), SST = 2, one sign right
    assert point_metrics([1.0, -1.0, np.nan], [-1.0, -2.0, 5.0]) == {
        "n": 2,
        "mae": 1.5,
        "rmse": pytest.approx(np.sqrt(2.5)),
        "r2": pytest.approx(1 - 5 / 2),
        "direction": 0.5,
    }


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


def test_diebold_mariano_equals_hac_regression_on_a_constant():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    e = rng.normal(size=900)
    d = np.convolve(e, [1.0, 0.6, 0.3], "same") + 0.08  # autocorrelated loss differential
    lags = 6
    ols = sm.OLS(d, np.ones_like(d)).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    dm = diebold_mariano(d, np.zeros_like(d), lags=lags)
    assert dm["dm_stat"] == pytest.approx(ols.tvalues[0], rel=1e-10)
    assert dm["dm_pvalue"] == pytest.approx(ols.pvalues[0], rel=1e-8)


def test_mincer_zarnowitz_by_hand():
    f = np.array([1.0, 2.0, 3.0, 4.0])
    mz = mincer_zarnowitz(0.5 + 2 * f, f)  # exact line
    assert (
        mz["mz_intercept"] == pytest.approx(0.5)
        and mz["mz_slope"] == pytest.approx(2.0)
        and mz["mz_r2"] == pytest.approx(1.0)
    )


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

from reports.metrics import historical_mean_forecast, pesaran_timmermann, price_table, return_table  # noqa: E402


def test_pesaran_timmermann_by_hand_and_against_the_contingency_test():
    # y signs + + - - ; f signs + - - + : 2 of 4 agree; p_y = p_f = 1/2, P* = 1/2
    pt = pesaran_timmermann([1.0, 2.0, -1.0, -2.0], [1.0, -1.0, -1.0, 1.0])
    assert pt["direction"] == 0.5 and pt["pt_stat"] == pytest.approx(0.0)
    # second implementation: PT^2 = n / (n - 1) x the chi-square test of independence of the 2x2 sign table
    from scipy.stats import chi2_contingency

    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    f = 0.2 * y + rng.normal(size=2000) + 0.3
    table = [
        [np.sum((y > 0) & (f > 0)), np.sum((y > 0) & (f < 0))],
        [np.sum((y < 0) & (f > 0)), np.sum((y < 0) & (f < 0))],
    ]
    chi2 = chi2_contingency(table, correction=False)[0]
    pt = pesaran_timmermann(y, f)
    assert pt["pt_stat"] ** 2 == pytest.approx(chi2 * 2000 / 1999, rel=1e-9)
    assert pt["pt_stat"] > 0 and pt["pt_pvalue"] < 1e-3
    assert np.isnan(pesaran_timmermann([1.0, 2.0], [1.0, 1.0])["pt_stat"]), "a forecast of one sign cannot be tested"


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


def test_the_model_confidence_set_takes_two_names_for_one_model():
    # the same forecasts under two names (a config that repeats a model): one model to the test,
    # not an IndexError from inside arch
    rng = np.random.default_rng(0)
    losses = pd.DataFrame({"a": rng.chisquare(2, 500), "b": rng.chisquare(2, 500) + 0.5})
    losses["a_again"] = losses["a"]
    got = model_confidence_set(losses, reps=200)
    alone = model_confidence_set(losses[["a", "b"]], reps=200)
    assert got["a_again"] == got["a"] == alone["a"] and got["b"] == alone["b"]


@pytest.mark.parametrize("k, seed", [(2, 0), (5, 1), (9, 2)])
def test_the_model_confidence_set_is_archs(k, seed):
    # second implementation: arch's MCS (method R, stationary bootstrap), one Python step per resample
    from arch.bootstrap import MCS

    rng = np.random.default_rng(seed)
    # models a few percent apart, with serially correlated losses, as QLIKE series are
    base = rng.chisquare(2, 700)
    losses = pd.DataFrame({f"m{i}": base * (1 + 0.01 * i) + rng.normal(0, 0.5, 700) ** 2 for i in range(k)})
    mcs = MCS(losses, size=0.1, reps=300, method="R", seed=seed)
    mcs.compute()
    expected = mcs.pvalues["Pvalue"].reindex(losses.columns)
    got = model_confidence_set(losses, reps=300, seed=seed)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert ((got > 0) & (got < 1)).any()  # p-values strictly inside: the comparison is not of 0s and 1s only


def test_spa_pvalues_equal_archs_spa_for_every_benchmark():
    from arch.bootstrap import SPA

    from reports.metrics import spa_pvalues

    rng = np.random.default_rng(0)
    t, k = 600, 5
    losses = rng.chisquare(2, (t, k)) + np.array([0.0, 0.05, 0.1, -0.15, 0.3])
    losses[:, 1] = 0.7 * losses[:, 0] + 0.3 * losses[:, 1]  # correlated losses, as forecasters' are
    ours = spa_pvalues(losses, reps=400, seed=3)
    for b in range(k):
        spa = SPA(losses[:, b], np.delete(losses, b, axis=1), reps=400, seed=3)
        spa.compute()
        assert ours[b] == spa.pvalues["consistent"], b
    assert ours[3] > 0.5 and ours[4] < 0.01  # the best model is not beaten; the worst is


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
