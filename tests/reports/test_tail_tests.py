"""VaR and ES backtests against hand computations and simulated truths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.errors import ParameterError
from reports.tail_tests import christoffersen, kupiec, mcneil_frey, tail_table, tick_loss
from signals.tail_risk import normal_tail, tail_forecasts


def test_kupiec_by_hand_and_the_basel_example():
    # 5 violations in 250 days at 1 %: LR = 1.957 (the number in Jorion's VaR tables), p 0.162
    out = kupiec([1] * 5 + [0] * 245, 0.01)
    by_hand = -2 * (245 * math.log(0.99) + 5 * math.log(0.01) - 245 * math.log(0.98) - 5 * math.log(0.02))
    assert out["lr"] == pytest.approx(by_hand) and out["lr"] == pytest.approx(1.957, abs=1e-3)
    assert out["pvalue"] == pytest.approx(stats.chi2.sf(by_hand, 1))
    assert (out["n"], out["violations"], out["rate"]) == (250, 5, 0.02)
    # no violation at all: the log of zero drops out (x log x -> 0)
    none = kupiec([0] * 250, 0.01)
    assert none["lr"] == pytest.approx(-2 * 250 * math.log(0.99))


def test_christoffersen_by_hand():
    hits = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    # transitions of the 19 consecutive pairs: n00 = 10, n01 = 3, n10 = 3, n11 = 3
    n00, n01, n10, n11 = 10, 3, 3, 3
    p01, p11, p = n01 / 13, n11 / 6, 6 / 19
    ll_ind = (n00 + n10) * math.log(1 - p) + (n01 + n11) * math.log(p)
    ll_m = n00 * math.log(1 - p01) + n01 * math.log(p01) + n10 * math.log(1 - p11) + n11 * math.log(p11)
    out = christoffersen(hits, 0.05)
    assert out["lr_ind"] == pytest.approx(-2 * (ll_ind - ll_m))
    assert out["lr_cc"] == pytest.approx(out["lr_ind"] + kupiec(hits[1:], 0.05)["lr"])
    assert out["p_cc"] == pytest.approx(stats.chi2.sf(out["lr_cc"], 2))
    assert math.isnan(christoffersen([0] * 30, 0.05)["lr_ind"]), "no violation: no transition out of one"


def test_clustered_violations_fail_independence_and_scattered_ones_pass():
    # independent violations: rejected at 5 % about 5 % of the time (the test's size), not more
    rng = np.random.default_rng(0)
    p = [christoffersen((rng.random(1000) < 0.05).astype(int), 0.05)["p_ind"] for _ in range(200)]
    assert np.mean(np.array(p) < 0.05) < 0.10
    clustered = np.zeros(2000, int)
    for start in range(0, 2000, 200):
        clustered[start : start + 10] = 1  # the same 5 % rate, in runs of ten
    assert christoffersen(clustered, 0.05)["p_ind"] < 1e-6
    assert kupiec(clustered, 0.05)["pvalue"] > 0.5  # coverage alone cannot see it


def test_mcneil_frey_accepts_the_true_es_and_rejects_one_too_small():
    rng = np.random.default_rng(3)
    n = 5000
    sigma = 0.01 * np.exp(rng.normal(0, 0.3, n))
    r = sigma * rng.standard_normal(n)
    v, e = normal_tail(0.025)
    assert mcneil_frey(r, sigma * v, sigma * e, sigma, seed=0)["pvalue"] > 0.05
    low = mcneil_frey(r, 0.8 * sigma * v, 0.8 * sigma * e, sigma, seed=0)
    assert low["mean"] > 0 and low["pvalue"] < 0.01
    assert math.isnan(mcneil_frey(r[:5], sigma[:5] * 10, sigma[:5] * 11, sigma[:5])["pvalue"])


def test_tick_loss_by_hand_and_smallest_at_the_true_quantile():
    assert tick_loss([-0.03, 0.01], [0.02, 0.02], 0.05) == pytest.approx([(0.05 - 1) * -0.01, 0.05 * 0.03])
    rng = np.random.default_rng(1)
    r = rng.standard_normal(20000)
    q = normal_tail(0.05)[0]
    true = tick_loss(r, np.full_like(r, q), 0.05).mean()
    assert true < tick_loss(r, np.full_like(r, 0.8 * q), 0.05).mean()
    assert true < tick_loss(r, np.full_like(r, 1.2 * q), 0.05).mean()


def test_tail_table_scores_every_model_on_the_same_days_against_a_baseline():
    rng = np.random.default_rng(5)
    n = 1500
    idx = pd.bdate_range("2010-01-01", periods=n)
    true = pd.Series(1e-4 * np.exp(np.cumsum(rng.normal(0, 0.1, n))), idx)  # volatility wanders
    r = pd.Series(np.sqrt(true) * rng.standard_normal(n), idx)
    flat = pd.Series(float(true.mean()), idx)
    late = true.copy()
    late.iloc[:400] = np.nan  # a model that starts later narrows every model's window
    variances = {"true": true, "flat": flat, "late": late}
    tails = {m: tail_forecasts(r, v, levels=(0.05,), methods=("normal",)) for m, v in variances.items()}
    scored = tail_table(r, tails, variances, baseline="flat", reps=200)
    table, first, last = scored.table, scored.window.first, scored.window.last
    assert first == tails["late"].dropna().index[0] and last == idx[-1]
    assert (table["n"] == len(r.loc[first:last])).all()
    row = table.loc[("true", "normal", 0.05)]
    assert row["tick_vs_flat"] < 1 and row["dm_p"] < 0.05  # time-varying variance beats a constant one
    assert math.isnan(table.loc[("flat", "normal", 0.05), "dm_p"])
    with pytest.raises(ParameterError, match="baseline 'garch'"):
        tail_table(r, tails, variances, baseline="garch")
    with pytest.raises(ParameterError, match="0/1"):
        kupiec([0, 2], 0.05)
