"""Performance statistics by hand, against quantstats, and the deflated Sharpe ratio's published example."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.evaluation.performance import (
    SHARPE_BLOCK,
    blank_se_reason,
    deflated_sharpe,
    max_drawdown,
    performance,
    sharpe_difference,
    sharpe_ratio,
)


def test_by_hand():
    r = pd.Series([0.01, -0.02, 0.03, -0.01])
    p = performance(r)
    growth = 1.01 * 0.98 * 1.03 * 0.99
    assert p["annual_return"] == pytest.approx(growth ** (252 / 4) - 1)
    assert p["annual_vol"] == pytest.approx(r.std() * np.sqrt(252))
    assert p["sharpe"] == pytest.approx(r.mean() / r.std() * np.sqrt(252))
    assert p["sortino"] == pytest.approx(r.mean() / np.sqrt((0.02**2 + 0.01**2) / 4) * np.sqrt(252))
    # equity 1.01, 0.9898, 1.019494, 1.00929906: peak 1.019494 -> -1 %; peak 1.01 -> 0.9898 = -2 %
    assert p["max_drawdown"] == pytest.approx(0.9898 / 1.01 - 1)
    assert max_drawdown(pd.Series([0.1, 0.1])) == 0.0


def test_against_quantstats():
    qs = pytest.importorskip("quantstats")
    rng = np.random.default_rng(1)
    r = pd.Series(rng.normal(0.0004, 0.01, 1000), index=pd.bdate_range("2015-01-01", periods=1000))
    p = performance(r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert p["sharpe"] == pytest.approx(qs.stats.sharpe(r), rel=1e-9)
        assert p["max_drawdown"] == pytest.approx(qs.stats.max_drawdown(r), rel=1e-9)
        assert p["annual_vol"] == pytest.approx(qs.stats.volatility(r), rel=1e-9)


def test_deflated_sharpe_published_example():
    # Bailey and Lopez de Prado (2014), "The Deflated Sharpe Ratio", numerical example:
    # annualised SR 2.5 over 1,250 daily observations, 100 trials with annualised SR
    # variance 0.5, skewness -3, kurtosis 10 -> DSR = 0.9004 (250 days a year).
    dsr = deflated_sharpe(2.5 / np.sqrt(250), 1250, 100, 0.5 / 250, skew=-3, kurtosis=10)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_more_trials_deflate_more():
    args = dict(sharpe=0.08, n_obs=1000, sharpe_var=0.001)
    vals = [deflated_sharpe(n_trials=n, **args) for n in (1, 10, 100, 1000)]
    assert vals == sorted(vals, reverse=True) and vals[0] > 0.99


def test_sharpe_difference_against_jobson_korkie_memmel():
    # i.i.d. normal returns with correlation 0.6: the bootstrap's standard error should
    # match the closed form (Memmel 2003) within the bootstrap's own noise
    rng = np.random.default_rng(7)
    n, rho = 2500, 0.6
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    a = pd.Series(0.0006 + 0.01 * z[:, 0])
    b = pd.Series(0.0002 + 0.02 * z[:, 1])
    got, se = sharpe_difference(a, b, block=1, reps=2000)
    sa, sb = a.mean() / a.std(), b.mean() / b.std()
    r = np.corrcoef(a, b)[0, 1]
    closed = np.sqrt((2 - 2 * r + 0.5 * (sa**2 + sb**2 - 2 * sa * sb * r**2)) / n) * np.sqrt(252)
    assert got == pytest.approx((sa - sb) * np.sqrt(252))
    assert se == pytest.approx(closed, rel=0.1)
    # a strategy against itself differs by nothing, with no uncertainty
    assert sharpe_difference(a, a, reps=50) == (0.0, 0.0)


def test_the_vectorised_bootstrap_is_archs_resample_by_resample():
    # second implementation: arch's own CircularBlockBootstrap.apply, one Python call per resample
    from arch.bootstrap import CircularBlockBootstrap

    rng = np.random.default_rng(3)
    a, b = pd.Series(rng.normal(5e-4, 0.01, 1000)), pd.Series(rng.normal(2e-4, 0.012, 1000))
    both = np.column_stack([a, b])

    def diff(x):
        sr = sharpe_ratio(x)
        return np.array([sr[0] - sr[1]])

    for block, seed in ((22, 0), (5, 9)):
        expected = CircularBlockBootstrap(block, both, seed=seed).apply(diff, 300).std(ddof=1)
        _, se = sharpe_difference(a, b, block=block, reps=300, seed=seed)
        assert se == pytest.approx(expected, rel=1e-12)
    # one draw matrix per window, shared and read-only: the blocks' first rows
    from core.evaluation.bootstrap import block_indices, block_starts

    assert block_starts(1000, 22, 300, 0) is block_starts(1000, 22, 300, 0)
    assert not block_starts(1000, 22, 300, 0).flags.writeable
    np.testing.assert_array_equal(block_starts(1000, 22, 300, 0), block_indices(1000, 22, 300, 0)[:, ::22])


def test_sharpe_difference_refuses_too_few_days():
    with pytest.raises(ValueError, match=r"at least 2 x block = 44 common days; got block=22 and 30 days"):
        sharpe_difference(pd.Series(np.ones(30)), pd.Series(np.ones(30)))


def test_a_short_window_gives_the_gap_without_a_standard_error_when_asked():
    """Tables scoring a short window (a year out of sample under a one-year regime lookback)
    ask for NaN instead of an error: the gap is still the two Sharpe ratios' difference.
    """
    rng = np.random.default_rng(2)
    a, b = pd.Series(rng.normal(0.001, 0.01, 30)), pd.Series(rng.normal(0.0, 0.01, 30))
    gap, se = sharpe_difference(a, b, short="nan")
    assert np.isnan(se) and gap == pytest.approx(float(sharpe_ratio(a.to_numpy()) - sharpe_ratio(b.to_numpy())))
    assert all(np.isnan(sharpe_difference(a.iloc[:1], b.iloc[:1], short="nan")))
    # enough days: the same numbers whatever ``short`` says
    long_a, long_b = pd.Series(rng.normal(0.001, 0.01, 300)), pd.Series(rng.normal(0.0, 0.01, 300))
    assert sharpe_difference(long_a, long_b, reps=50, short="nan") == sharpe_difference(long_a, long_b, reps=50)


def test_sharpe_ratio_per_column():
    r = np.array([[0.01, 0.0], [-0.02, 0.0], [0.03, 0.0], [-0.01, 0.0]])
    got = sharpe_ratio(r)
    assert got[0] == pytest.approx(performance(pd.Series(r[:, 0]))["sharpe"])
    assert np.isnan(got[1])  # returns that never vary: no Sharpe ratio


def test_many_gaps_against_one_benchmark_are_each_calls_bit_for_bit():
    """sharpe_differences shares the benchmark's bootstrap across series: the same bits as one
    sharpe_difference per series, for series on the benchmark's days, on fewer days (the
    slow path), with NaN, too short for the bootstrap, with a rate series or a number.
    """
    from core.evaluation.performance import sharpe_difference, sharpe_differences

    rng = np.random.default_rng(11)
    days = pd.bdate_range("2015-01-01", periods=400)
    bench = pd.Series(rng.normal(3e-4, 0.01, 400), index=days)
    rf = pd.Series(rng.uniform(0, 2e-4, 400), index=days)
    series = [pd.Series(rng.normal(4e-4, 0.012, 400), index=days) for _ in range(3)]
    series.append(series[0].iloc[30:])  # fewer days
    gappy = series[1].copy()
    gappy.iloc[[5, 77]] = np.nan
    series.append(gappy)
    for risk_free in (rf, 0.0001):
        got = sharpe_differences(series, bench, reps=300, risk_free=risk_free, short="nan")
        want = [sharpe_difference(r, bench, reps=300, risk_free=risk_free, short="nan") for r in series]
        assert got == want
    short_bench = bench.iloc[:30]
    short = [r.iloc[:30] for r in series[:2]]
    got = sharpe_differences(short, short_bench, risk_free=rf, short="nan")
    assert got == [sharpe_difference(r, short_bench, risk_free=rf, short="nan") for r in short]
    assert np.isnan(got[0][1]) and np.isfinite(got[0][0])
    with pytest.raises(ValueError, match="at least 2 x block = 44 common days"):
        sharpe_differences(short, short_bench, risk_free=rf)


def test_the_words_for_a_blank_standard_error_follow_the_bootstrap_rule():
    # the reason is given exactly where sharpe_difference(short="nan") leaves the error blank
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2020-01-01", periods=2 * SHARPE_BLOCK)
    r = pd.Series(rng.normal(0.0005, 0.01, len(days)), index=days)
    b = pd.Series(rng.normal(0.0003, 0.01, len(days)), index=days)
    for n in (2 * SHARPE_BLOCK - 1, 2 * SHARPE_BLOCK):
        _, se = sharpe_difference(r.iloc[:n], b.iloc[:n], reps=50, short="nan")
        assert np.isnan(se) == bool(blank_se_reason(n)), n
    assert blank_se_reason(43) == (
        "the standard errors are blank: 43 days are fewer than the 44 that the block bootstrap needs (two blocks of 22)"
    )
