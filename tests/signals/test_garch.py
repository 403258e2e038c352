"""GarchForecaster against arch called directly, and on a simulated GARCH(1,1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch import arch_model

from core.errors import ConvergenceWarning
from signals.base import ParameterError
from signals.garch import GarchForecaster
from tests.signals.frames import simulate_garch, sp500

ORDERS = {"garch": 0, "gjr": 1, "egarch": 1}


@pytest.fixture(scope="module")
def frame():
    return sp500()


def _direct(train: pd.DataFrame, kind: str, dist: str):
    """Arch as a user would call it on percent returns."""
    am = arch_model(
        100 * train["return"].dropna(),
        vol="EGARCH" if kind == "egarch" else "GARCH",
        p=1,
        o=ORDERS[kind],
        q=1,
        dist=dist,
    )
    return am.fit(disp="off")


@pytest.mark.parametrize("dist", ["normal", "t", "skewt"])
@pytest.mark.parametrize("kind", ["garch", "gjr", "egarch"])
def test_parameters_and_forecasts_equal_arch(frame, kind, dist):
    train = frame.loc[:"2007-12-31"]
    g = GarchForecaster(kind=kind, dist=dist).fit(train)
    res = _direct(train, kind, dist)
    pd.testing.assert_series_equal(g.params_, res.params, check_names=False)
    assert g.converged_
    # in-sample conditional variance: our recursion with the fit's backcast = arch's
    ours = g.conditional_variance(train).dropna().to_numpy() * 1e4
    np.testing.assert_allclose(ours, res.conditional_volatility.to_numpy() ** 2, rtol=1e-10)
    # the forecast for the first test day = arch's one-step forecast from the last training day
    day = frame.loc["2008-01-01":].index[:1]
    want = res.forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / 1e4
    assert g.predict(frame, day).iloc[0] == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("kind", ["garch", "gjr"])
def test_multi_step_equals_arch_analytic(frame, kind):
    train = frame.loc[:"2007-12-31"]
    g = GarchForecaster(kind=kind, horizon=5).fit(train)
    want = g.result_.forecast(horizon=5, reindex=False).variance.iloc[-1].mean() / 1e4
    assert g.predict(frame, frame.loc["2008-01-01":].index[:1]).iloc[0] == pytest.approx(want, rel=1e-10)


def test_egarch_multi_step_matches_arch_simulation(frame):
    train = frame.loc[:"2007-12-31"]
    g = GarchForecaster(kind="egarch", horizon=5, simulations=4000).fit(train)
    fc = g.result_.forecast(
        horizon=5, reindex=False, method="simulation", simulations=20000, random_state=np.random.RandomState(3)
    )
    want = fc.variance.iloc[-1].mean() / 1e4
    got = g.predict(frame, frame.loc["2008-01-01":].index[:1]).iloc[0]
    # Monte Carlo: the step-5 variance has a coefficient of variation near 0.5 across
    # paths, so 4,000 paths give ~0.8 % standard error on the mean; 4 % is ~5 SE.
    assert got == pytest.approx(want, rel=0.04)
    again = GarchForecaster(kind="egarch", horizon=5, simulations=4000).fit(train)
    assert again.predict(frame, frame.index[-50:]).equals(g.predict(frame, frame.index[-50:]))


def test_recovers_simulated_parameters():
    omega, alpha, beta = 2e-6, 0.08, 0.9
    frame, _ = simulate_garch(6000, omega, alpha, beta, seed=5)
    g = GarchForecaster(mean="zero").fit(frame)
    res = g.result_
    # arch works in percent: omega scales by 1e4. Tolerance: 4 standard errors of the fit.
    for name, true in (("omega", omega * 1e4), ("alpha[1]", alpha), ("beta[1]", beta)):
        assert abs(res.params[name] - true) <= 4 * res.std_err[name], (name, res.params[name], true, res.std_err[name])


def test_non_convergence_is_surfaced(frame):
    with pytest.warns(ConvergenceWarning, match=r"did not converge on .* returns ending 2007-12-31"):
        g = GarchForecaster(kind="egarch", dist="skewt", max_iter=2).fit(frame.loc[:"2007-12-31"])
    assert g.converged_ is False


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"kind": "figarch"}, r"kind must be one of 'garch', 'gjr', 'egarch'; got 'figarch'"),
        ({"dist": "ged"}, r"dist must be one of 'normal', 't', 'skewt'; got 'ged'"),
        ({"p": 0}, r"p must be an integer >= 1; got 0"),
        ({"horizon": 0}, r"horizon must be an integer >= 1; got 0"),
    ],
)
def test_bad_hyperparameters(frame, params, match):
    with pytest.raises(ParameterError, match=match):
        GarchForecaster(**params).fit(frame)
