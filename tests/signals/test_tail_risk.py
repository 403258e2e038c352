"""VaR and ES forecasts: closed forms, a second implementation of the t fit, causality, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from core.errors import ParameterError
from signals.tail_risk import empirical_tail, normal_tail, standardized, t_fit, t_tail, tail_forecasts


def test_normal_tail_is_the_textbook_one():
    # 1 % VaR of a standard normal 2.3263, ES 2.6652; 5 %: 1.6449 and 2.0627 (e.g. Hull, Risk Management)
    assert normal_tail(0.01) == pytest.approx((2.3263479, 2.6652142), abs=1e-6)
    assert normal_tail(0.05) == pytest.approx((1.6448536, 2.0627128), abs=1e-6)


@pytest.mark.parametrize(("df", "scale"), [(3.0, 1.0), (5.0, 0.8), (30.0, 1.3)])
def test_t_tail_equals_numerical_integration(df, scale):
    alpha = 0.025
    var, es = t_tail(alpha, df, scale)
    q = stats.t.ppf(alpha, df, scale=scale)
    assert var == pytest.approx(-q)
    tail_mean = integrate.quad(lambda x: x * stats.t.pdf(x, df, scale=scale), -np.inf, q)[0] / alpha
    assert es == pytest.approx(-tail_mean, rel=1e-6)


@pytest.mark.parametrize(("df", "seed"), [(3.0, 0), (5.0, 1), (12.0, 2)])
def test_t_fit_equals_scipys_maximum_likelihood(df, seed):
    z = 0.9 * stats.t.rvs(df, size=3000, random_state=seed)
    nu, s = t_fit(z)
    ref_nu, _, ref_s = stats.t.fit(z, floc=0.0)
    assert nu == pytest.approx(ref_nu, rel=2e-3) and s == pytest.approx(ref_s, rel=1e-4)
    # at least as likely as scipy's estimate
    ours = stats.t.logpdf(z, nu, scale=s).sum()
    assert ours >= stats.t.logpdf(z, ref_nu, scale=ref_s).sum() - 1e-6


def test_empirical_tail_by_hand():
    z = np.arange(1.0, 101.0) - 50.5  # -49.5 .. 49.5
    var, es = empirical_tail(z, 0.05)
    q = -49.5 + 99 * 0.05  # numpy's linear quantile: position (n - 1) * alpha
    assert var == pytest.approx(-q)
    assert es == pytest.approx(-np.mean(z[z <= q]))  # the five values -49.5 .. -45.5
    assert es == pytest.approx(47.5)


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(7)
    n = 3000
    idx = pd.bdate_range("2006-01-02", periods=n)
    variance = pd.Series(1e-4 * np.exp(rng.normal(0, 0.6, n)), idx)
    df = 5.0
    returns = pd.Series(np.sqrt(variance) * rng.standard_t(df, n) / np.sqrt(df / (df - 2)), idx)
    return returns, variance


def test_tail_forecasts_are_causal_and_equal_a_loop_by_hand(simulated):
    returns, variance = simulated
    out = tail_forecasts(returns, variance, min_history=250, refit_every=252)
    z = standardized(returns, variance)
    # day 400 uses the 400 residuals before it, nothing of its own return
    day = returns.index[400]
    past = z.loc[: returns.index[399]].to_numpy()
    sigma = np.sqrt(variance.loc[day])
    for a in (0.01, 0.05):
        assert out.loc[day, ("fhs", a, "var")] == pytest.approx(sigma * empirical_tail(past, a)[0], rel=1e-12)
        assert out.loc[day, ("fhs", a, "es")] == pytest.approx(sigma * empirical_tail(past, a)[1], rel=1e-12)
        assert out.loc[day, ("normal", a, "var")] == pytest.approx(sigma * normal_tail(a)[0])
    # the t fitted at row 250 (first), 502, ...: day 400 uses the fit on the first 250 residuals
    assert out.loc[day, ("t", 0.01, "var")] == pytest.approx(sigma * t_tail(0.01, *t_fit(past[:250]))[0])
    # a changed return on day 400 and after changes nothing on day 400
    changed = returns.copy()
    changed.iloc[400:] *= 3.0
    again = tail_forecasts(changed, variance, min_history=250, refit_every=252)
    pd.testing.assert_series_equal(again.loc[day], out.loc[day])
    assert out.iloc[:250].isna().all().all() and out.iloc[250:].notna().all().all()


def test_t_and_fhs_cover_fat_tails_where_the_normal_does_not(simulated):
    returns, variance = simulated
    out = tail_forecasts(returns, variance, levels=(0.01,))
    ok = out.dropna().index
    rate = {m: float((returns[ok] < -out.loc[ok, (m, 0.01, "var")]).mean()) for m in ("normal", "t", "fhs")}
    assert rate["t"] == pytest.approx(0.01, abs=0.004) and rate["fhs"] == pytest.approx(0.01, abs=0.005)
    assert rate["normal"] > rate["t"]  # a t(5) has more mass beyond 2.33 standard deviations


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"levels": (0.99,)}, r"levels must lie in \(0, 0.5\).*0.99.*tail probability"),
        ({"methods": ("cornish_fisher",)}, r"methods must be some of"),
        ({"min_history": 5}, r"min_history must be >= 20"),
    ],
)
def test_bad_arguments_are_named(simulated, kwargs, match):
    returns, variance = simulated
    with pytest.raises(ParameterError, match=match):
        tail_forecasts(returns, variance, **kwargs)


@pytest.mark.parametrize("gaps", ["daily", "sparse", "rounded"])
def test_expanding_tails_equal_the_tail_of_each_whole_prefix(gaps):
    from signals.tail_risk import expanding_tails

    rng = np.random.default_rng(3)
    z = rng.standard_t(4, 3000)
    z[100:140] = z[99]  # ties at and around the quantile for a stretch of prefixes
    if gaps == "rounded":  # ties everywhere: the 20 % tail reaches past the kept order statistics
        z = np.round(z, 1)
    ns = np.arange(20, 3001) if gaps == "daily" else np.unique(rng.integers(20, 3001, 300))
    levels = [0.01, 0.05, 0.2]
    got = expanding_tails(z, ns, levels, chunk=64)
    want = np.array([[x for a in levels for x in empirical_tail(z[:n], a)] for n in ns])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_tail_columns_are_built_once_but_each_frame_names_its_own():
    """The (method, level, measure) index is cached per (methods, levels); a frame that names its
    column levels must not rename another's.
    """
    idx = pd.bdate_range("2015-01-01", periods=400)
    rng = np.random.default_rng(3)
    returns = pd.Series(rng.normal(0, 0.01, 400), idx)
    variance = pd.Series(1e-4, idx)
    a = tail_forecasts(returns, variance, methods=("normal",), min_history=50)
    b = tail_forecasts(returns, variance, methods=("normal",), min_history=50)
    assert a.columns.equals(b.columns)
    a.columns.names = ["method", "level", "measure"]
    assert list(b.columns.names) == [None, None, None]
    c = tail_forecasts(returns, variance, methods=("normal",), min_history=50)
    assert list(c.columns.names) == [None, None, None]


def test_private_shortcuts_give_scipys_bits():
    """_kurtosis is scipy.stats.kurtosis and _t_tails is t_tail level by level, to the bit: the
    t fit starts from the kurtosis, so a last-bit change would move every fitted tail.
    """
    from scipy import stats

    from signals.tail_risk import _kurtosis, _t_tails

    rng = np.random.default_rng(3)
    for z in (rng.standard_t(5, 1777), rng.normal(size=250) * 1e-3 + 2.0, np.full(30, 0.7), rng.normal(size=2)):
        want = float(stats.kurtosis(z))
        got = _kurtosis(z)
        assert (np.isnan(want) and np.isnan(got)) or got == want, (want, got)
    for df, scale in ((2.3, 0.8), (5.0, 1.0), (80.0, 1.3)):
        levels = (0.01, 0.025, 0.05)
        assert _t_tails(levels, df, scale) == [x for a in levels for x in t_tail(a, df, scale)]


def test_t_fit_newton_is_at_least_as_likely_as_lbfgs_and_falls_back_at_a_bound():
    """Newton's steps reach the maximum L-BFGS-B approaches (never a less likely fit, over 60
    samples of 30 to 2,500 fat- or thin-tailed draws); where the optimum is at nu = 500
    (thinner tails than a normal's) or Newton has no direction, L-BFGS-B answers from the
    same start.
    """
    from scipy.optimize import minimize

    from signals.tail_risk import _kurtosis, _t_loglik, _t_newton

    bounds = (np.log(0.05), np.log(498.0))
    newton_used = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        df, n = (2.5, 4.0, 8.0, np.inf)[seed % 4], (30, 250, 1000, 2500)[seed % 4 - 1]
        z = rng.standard_t(df, n) if np.isfinite(df) else rng.normal(size=n)
        z2, kurt = z * z, _kurtosis(z)
        nu0 = 4.0 + 6.0 / kurt if kurt > 0.1 else 30.0
        start = np.array([np.log(nu0 - 2.0), np.log(np.sqrt(np.mean(z2) * (nu0 - 2.0) / nu0))])
        ref = minimize(
            lambda th, z2=z2: tuple(-x for x in _t_loglik(z2, th, hessian=False)[:2]),
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[bounds, (None, None)],
        ).x
        nu, s = t_fit(z)
        ours = stats.t.logpdf(z, nu, scale=s).sum()
        assert ours >= stats.t.logpdf(z, 2 + np.exp(ref[0]), scale=np.exp(ref[1])).sum() - 1e-9 * abs(ours)
        newton_used += _t_newton(z2, start, bounds) is not None
    assert newton_used >= 30  # the fast path is the usual one
    nu, _ = t_fit(np.random.default_rng(1).uniform(-1, 1, 3000))
    assert nu == pytest.approx(500.0, rel=1e-6)


def test_t_loglik_gradient_and_hessian_match_finite_differences():
    from signals.tail_risk import _t_loglik

    z2 = np.random.default_rng(2).standard_t(5, 500) ** 2
    theta, h = np.array([np.log(3.1), np.log(0.9)]), 1e-5
    _, grad, hess = _t_loglik(z2, theta)
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        up, down = _t_loglik(z2, theta + e), _t_loglik(z2, theta - e)
        assert (up[0] - down[0]) / (2 * h) == pytest.approx(grad[j], rel=1e-6)
        np.testing.assert_allclose((up[1] - down[1]) / (2 * h), hess[:, j], rtol=1e-5)
