"""HarForecaster against an independent least-squares solution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from core.errors import DataWarning
from core.evaluation.losses import qlike
from signals.base import ParameterError
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from tests.signals.frames import sp500


@pytest.fixture(scope="module")
def train():
    return sp500().loc[:"2007-12-31"]


def _independent_design(rv: pd.Series, lags, horizon, log):
    """HAR regressors and target with pandas, written separately from signals.har."""
    x = pd.DataFrame({f"har_{k}": rv.rolling(k).mean() for k in lags})
    y = rv.rolling(horizon).mean().shift(-horizon)  # mean of rv over the next h days, at the origin
    if log:
        x, y = np.log(x), np.log(y)
    ok = x.notna().all(axis=1) & y.notna()
    return x[ok], y[ok]


@pytest.mark.parametrize("horizon", [1, 5, 22])
@pytest.mark.parametrize("log", [False, True])
def test_coefficients_equal_least_squares(train, log, horizon):
    har = HarForecaster(log=log, horizon=horizon).fit(train)
    x, y = _independent_design(train["rv"], (1, 5, 22), horizon, log)
    ref = LinearRegression().fit(x.to_numpy(), y.to_numpy())
    np.testing.assert_allclose(har.coef_.iloc[1:].to_numpy(), ref.coef_, rtol=1e-8)
    assert har.coef_["const"] == pytest.approx(ref.intercept_, rel=1e-8)
    if log:
        fitted = ref.predict(x.to_numpy())
        resid = y.to_numpy() - fitted
        # the default: the mean training target over the mean fitted level
        assert har.smearing_ == pytest.approx(np.exp(y).sum() / np.exp(fitted).sum(), rel=1e-8)
        duan = HarForecaster(log=log, horizon=horizon, retransform="duan").fit(train)
        assert duan.smearing_ == pytest.approx(np.mean(np.exp(resid)), rel=1e-8)
        assert har.smearing_spread_ == pytest.approx(duan.smearing_ / har.smearing_, rel=1e-12)
        assert har.smearing_ > 1 and duan.smearing_ > 1  # Jensen: exp(E[log]) understates E[.]


def test_forecast_is_the_fitted_equation(train):
    frame = sp500()
    har = HarForecaster().fit(train)
    day = frame.loc["2008-03-03":].index[:1]
    origin = frame.index[frame.index.get_loc(day[0]) - 1]
    rv = frame["rv"].loc[:origin]
    x = [1.0, rv.iloc[-1], rv.iloc[-5:].mean(), rv.iloc[-22:].mean()]
    assert har.predict(frame, day).iloc[0] == pytest.approx(float(np.dot(har.coef_, x)), rel=1e-12)


def test_log_har_smearing_removes_retransformation_bias(train):
    # In sample, Duan's factor makes the mean forecast match the mean target far
    # better than the naive exp(fitted log).
    har = HarForecaster(log=True).fit(train)
    fc = har.predict(train, train.index[30:])
    y = train["rv"].reindex(fc.index)
    naive = fc / har.smearing_
    assert abs(fc.mean() / y.mean() - 1) < abs(naive.mean() / y.mean() - 1)
    assert abs(fc.mean() / y.mean() - 1) < 0.05


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"lags": ()}, r"lags must be a non-empty tuple of integers >= 1; got \(\)"),
        ({"lags": (1, -5)}, r"lags must be a non-empty tuple of integers >= 1; got \(1, -5\)"),
        ({"lags": (5, 5)}, r"lags must not repeat a value; got \(5, 5\)"),
        ({"log": "yes"}, r"log must be True or False; got 'yes'"),
    ],
)
def test_bad_hyperparameters(train, params, match):
    with pytest.raises(ParameterError, match=match):
        HarForecaster(**params).fit(train)


def test_too_short_training(train):
    with pytest.raises(ParameterError, match=r"only \d+ usable training rows for 4 coefficients"):
        HarForecaster().fit(train.iloc[:25])


def _coarse_ticks(n=1500, seed=3):
    """A stock quoted to few decimals: a third of the days have no range (rv = 0) and
    some a tiny positive one, as Garman-Klass gives on 3-decimal prices.
    """
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2010-01-04", periods=n)
    vol = np.exp(np.convolve(rng.normal(0, 0.25, n + 50), np.ones(50) / np.sqrt(50), "valid")[:n])
    rv = 1e-4 * vol * rng.chisquare(1, n)
    rv[rng.random(n) < 0.33] = 0.0
    rv[rng.random(n) < 0.02] = 1e-13
    frame = pd.DataFrame({"rv": rv}, index=days)
    frame.attrs["symbols"] = ["TICKY"]
    return frame


def test_log_har_floors_zeros_robustly_and_says_so(monkeypatch):
    frame = _coarse_ticks(3000)
    train, test = frame.iloc[:1500], frame.index[1500:]
    positive = train["rv"][train["rv"] > 0]
    with pytest.warns(
        DataWarning,
        match=r"HarForecaster\(log=True\) on TICKY: \d+ of 1500 training rv values \(\d+ of them zero or negative\) "
        r"lie below the floor",
    ):
        har = HarForecaster(log=True).fit(train)
    assert har.floor_ == pytest.approx(0.01 * positive.median())
    assert har.n_floored_ == int((train["rv"] < har.floor_).sum()) > 400
    # the old rule raised zeros only to the smallest positive value (1e-13 here)
    monkeypatch.setattr("signals.har._FLOOR_FRACTION", 0.0)
    with pytest.warns(DataWarning):
        old = HarForecaster(log=True).fit(train)
    assert old.floor_ == 1e-13 and old.smearing_ > 1000
    y = frame["rv"].reindex(test)
    pos = y > 0
    new_loss = qlike(y[pos].to_numpy(), har.predict(frame, test)[pos].to_numpy())
    old_loss = qlike(y[pos].to_numpy(), old.predict(frame, test)[pos].to_numpy())
    assert har.smearing_ < old.smearing_ / 100 and new_loss < old_loss
    # a third of the days at the floor still make the log target bimodal: the factor stays
    # above its usual range, and the leaderboard flags it (engine.job.SMEARING_RANGE)
    assert 2.0 < har.smearing_ < 20.0


def test_log_har_without_low_values_is_unchanged(train):
    har = HarForecaster(log=True).fit(train)
    positive = train["rv"][train["rv"] > 0]
    assert har.floor_ == positive.min() and har.n_floored_ == 0  # the S&P's smallest rv is 2 % of its median


def _loop(model, frame, windows):
    from signals.base import BaseForecaster

    return BaseForecaster.refit_forecasts(model, frame, windows)


@pytest.mark.parametrize(
    "model",
    [
        HarForecaster(),
        HarForecaster(log=True, horizon=5, retransform="duan"),
        HarxForecaster(),
        HarxForecaster(log=False, horizon=22),
        HarxForecaster(lags=(1, 5), exog=("volume_ratio",)),
    ],
    ids=repr,
)
def test_bulk_refits_equal_a_loop_of_fits_bit_for_bit(model):
    # daily windows of 400 rows and a few expanding ones: one design per floor, the numbers of fit + predict
    frame = sp500()
    n = len(frame)
    windows = [(slice(max(0, s - 400), s), slice(s, s + 1)) for s in range(n - 300, n)]
    windows += [(slice(0, s), slice(s, min(s + 21, n))) for s in (600, 900)]
    bulk, loop = model.refit_forecasts(frame, windows), _loop(model, frame, windows)
    for b, one in zip(bulk, loop, strict=True):
        np.testing.assert_array_equal(b.forecast, one.forecast)
        assert (b.n_train, b.diagnostics, b.parameters) == (one.n_train, one.diagnostics, one.parameters)


def test_bulk_refits_with_a_floor_that_moves_every_day_equal_the_loop():
    # a third of the days at zero: the floor (1 % of the window's median) differs in every window,
    # so every window has its own design; each window's floor warning is the loop's, word for word
    frame = _coarse_ticks(1200).assign(**{"return": 0.0})
    windows = [(slice(s - 500, s), slice(s, s + 1)) for s in range(900, 1200)]
    for model in (HarForecaster(log=True), HarxForecaster()):
        bulk, loop = model.refit_forecasts(frame, windows), _loop(model, frame, windows)
        for b, one in zip(bulk, loop, strict=True):
            np.testing.assert_array_equal(b.forecast, one.forecast)
            assert b.diagnostics == one.diagnostics and b.warnings == one.warnings and b.warnings


def test_a_subclass_that_fits_its_own_way_gets_the_loop():
    from tests.engine.slow_models import CoreCounter

    frame = sp500()
    windows = [(slice(0, s), slice(s, s + 1)) for s in (1000, 1001)]
    out = CoreCounter().refit_forecasts(frame, windows)
    assert [r.diagnostics["cores"] for r in out] == [1.0, 1.0]  # its own _fit ran, per window
