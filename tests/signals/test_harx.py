"""HAR-X against plain least squares written out by hand with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from tests.signals.frames import sp500


@pytest.fixture(scope="module")
def frame():
    f = sp500()
    rng = np.random.default_rng(7)
    # stand-ins for intraday measures and an exogenous series, with the properties the terms need
    share = rng.uniform(0.3, 0.7, len(f))
    f["rs_pos"], f["rs_neg"] = share * f["rv"], (1 - share) * f["rv"]
    f["rq"] = f["rv"] ** 2 * rng.uniform(1.0, 3.0, len(f))
    f["parkinson"] = f["rv"] * rng.uniform(0.8, 1.2, len(f))
    return f


def by_hand(frame, y, columns, log):
    """Lstsq on the rows where every column and the target are finite; the forecast of each row."""
    X = pd.concat(columns, axis=1)
    X.insert(0, "const", 1.0)
    target = np.log(y) if log else y
    ok = X.notna().all(axis=1) & target.notna()
    beta, *_ = np.linalg.lstsq(X[ok].to_numpy(), target[ok].to_numpy(), rcond=None)
    fit = X.to_numpy() @ beta
    resid = target[ok].to_numpy() - X[ok].to_numpy() @ beta
    return beta, (np.exp(fit) * np.mean(np.exp(resid)) if log else fit)


@pytest.mark.parametrize("log", [False, True])
def test_leverage_and_an_exogenous_column_equal_least_squares_by_hand(frame, log):
    train, test = frame.loc[:"2008-12-31"], frame.loc["2009-01-01":].index
    rv, neg = frame["rv"], frame["return"].clip(upper=0.0)
    g = np.log if log else (lambda s: s)
    cols = [g(rv.rolling(k).mean()).rename(f"har_{k}") for k in (1, 5, 22)]
    cols += [neg.rolling(k).mean().rename(f"lev_{k}") for k in (1, 5, 22)]
    cols.append(g(frame["parkinson"]).rename("parkinson"))
    n = len(train)
    y = train["rv"].shift(-1)  # tomorrow's rv, known only inside the training rows
    beta, _ = by_hand(train, y, [c.iloc[:n] for c in cols], log)
    m = HarxForecaster(log=log, leverage=True, exog=("parkinson",)).fit(train)
    assert list(m.coef_.index) == ["const", "har_1", "har_5", "har_22", "lev_1", "lev_5", "lev_22", "parkinson"]
    np.testing.assert_allclose(m.coef_.to_numpy(), beta, rtol=1e-8)
    # forecasts of every test date from the previous row's regressors, with the in-sample fit's factor
    X = pd.concat(cols, axis=1)
    X.insert(0, "const", 1.0)
    raw = X.to_numpy() @ beta
    want = np.exp(raw) * m.smearing_ if log else np.maximum(raw, m.floor_)
    got = m.predict(frame, test)
    origins = frame.index.get_indexer(test) - 1
    np.testing.assert_allclose(got.to_numpy(), want[origins], rtol=1e-8)
    assert m.n_parameters() == 8 and m.name == ("logharx" if log else "harx")


def test_without_terms_it_is_the_har(frame):
    train, test = frame.loc[:"2008-12-31"], frame.loc["2009-01-01":].index
    for log in (False, True):
        plain = HarForecaster(log=log).fit(train).predict(frame, test)
        same = HarxForecaster(log=log, leverage=False).fit(train).predict(frame, test)
        np.testing.assert_allclose(same, plain, rtol=1e-10)


def test_vix_enters_as_a_daily_variance_or_its_log(frame):
    f = frame.copy()
    f["vix"] = 100 * np.sqrt(252 * f["rv"].rolling(22).mean())  # a VIX-like level in index points
    train = f.loc[:"2008-12-31"]
    level = HarxForecaster(log=False, leverage=False, exog=("vix",)).fit(train)
    n = len(train)
    rv = f["rv"]
    daily = (f["vix"] / 100) ** 2 / 252
    cols = [rv.rolling(k).mean().iloc[:n] for k in (1, 5, 22)] + [daily.iloc[:n].rename("vix")]
    beta, _ = by_hand(train, train["rv"].shift(-1), cols, log=False)
    np.testing.assert_allclose(level.coef_.to_numpy(), beta, rtol=1e-6)
    logged = HarxForecaster(log=True, leverage=False, exog=("vix",)).fit(train)
    cols = [np.log(rv.rolling(k).mean()).iloc[:n] for k in (1, 5, 22)] + [np.log(daily).iloc[:n].rename("vix")]
    beta, _ = by_hand(train, train["rv"].shift(-1), cols, log=True)
    np.testing.assert_allclose(logged.coef_.to_numpy(), beta, rtol=1e-6)


def test_semivariance_and_quarticity_forms(frame):
    train = frame.loc[:"2008-12-31"]
    n = len(train)
    rv = frame["rv"]
    rs = HarxForecaster(log=False, leverage=False, semivariance=True).fit(train)
    cols = [frame["rs_pos"].iloc[:n], frame["rs_neg"].iloc[:n]] + [rv.rolling(k).mean().iloc[:n] for k in (5, 22)]
    beta, _ = by_hand(train, train["rv"].shift(-1), cols, log=False)
    assert list(rs.coef_.index) == ["const", "rs_pos", "rs_neg", "har_5", "har_22"]
    np.testing.assert_allclose(rs.coef_.to_numpy(), beta, rtol=1e-8)
    q = HarxForecaster(log=False, leverage=False, quarticity=True).fit(train)
    cols = [rv.rolling(k).mean().iloc[:n] for k in (1, 5, 22)] + [(np.sqrt(frame["rq"]) * rv).iloc[:n]]
    beta, _ = by_hand(train, train["rv"].shift(-1), cols, log=False)
    assert list(q.coef_.index) == ["const", "har_1", "har_5", "har_22", "rq_har_1"]
    np.testing.assert_allclose(q.coef_.to_numpy(), beta, rtol=1e-8)
    assert q.name == "harx-q" and rs.name == "harx-rs"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"quarticity": True}, r"quarticity=True is the HARQ .* a level regression.*Hint: log=False"),
        ({"semivariance": True, "lags": (5, 22)}, r"semivariance=True splits the 1-day term.*lags=\(5, 22\) has no 1"),
        ({"exog": "vix"}, r"exog must be a tuple of column names; got 'vix'"),
        ({"leverage": 1}, r"leverage must be True or False"),
    ],
)
def test_bad_hyperparameters(frame, params, match):
    with pytest.raises(ParameterError, match=match):
        HarxForecaster(**params).fit(frame)


def test_a_missing_measure_is_named(frame):
    with pytest.raises(Exception, match=r"rq"):
        HarxForecaster(log=False, quarticity=True).fit(frame.drop(columns="rq"))


def test_the_insanity_filter_clips_forecasts_to_the_training_range(frame):
    train, test = frame.loc[:"2007-12-31"], frame.loc["2008-01-01":].index
    raw = HarxForecaster(clip=False).fit(train).predict(frame, test)
    clipped_model = HarxForecaster().fit(train)
    clipped = clipped_model.predict(frame, test)
    y = train["rv"].shift(-1).dropna()
    lo, hi = max(y.min(), clipped_model.floor_), y.max()
    assert clipped_model.target_range_ == (lo, hi)
    np.testing.assert_allclose(clipped, raw.clip(lo, hi), rtol=1e-12)
    assert (raw > hi).any(), "October 2008 takes the unfiltered log-HAR-X beyond anything it trained on"


def test_an_exogenous_column_that_covers_part_of_the_window_is_said_and_counted():
    # VIX known on the last third of the training rows only: the fit uses those rows, says so,
    # and records how many it used (the fits table's rows_used), in bulk as one fit at a time
    import warnings

    from core.errors import DataWarning
    from signals.base import BaseForecaster

    frame = sp500()
    vix = pd.Series(np.nan, index=frame.index)
    vix.iloc[1200:] = 20.0 + np.random.default_rng(0).normal(0, 2, len(frame) - 1200)
    frame = frame.assign(vix=vix)
    model = HarxForecaster(exog=("vix",))
    train = frame.iloc[:1500]
    with pytest.warns(DataWarning, match=r"cover only part of the training window \('vix' on 299 of its 14\d\d usable"):
        fitted = model.clone().fit(train)
    assert fitted.n_used_ == 299 and fitted.diagnostics()["rows_used"] == 299.0  # the last row has no target
    windows = [(slice(0, 1500), slice(1500, 1501))]
    bulk, loop = model.refit_forecasts(frame, windows), BaseForecaster.refit_forecasts(model, frame, windows)
    assert bulk[0].warnings == loop[0].warnings and "cover only part" in bulk[0].warnings[0]
    assert bulk[0].diagnostics["rows_used"] == 299.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # a column that covers the window: no word
        HarxForecaster(exog=("vix",)).fit(frame.iloc[1200:1700])
