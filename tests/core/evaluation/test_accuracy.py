"""Point accuracy, Mincer-Zarnowitz and Pesaran-Timmermann by hand and against a second implementation."""

from __future__ import annotations

import numpy as np
import pytest

from core.evaluation.accuracy import mincer_zarnowitz, pesaran_timmermann, point_metrics


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


def test_mincer_zarnowitz_by_hand():
    f = np.array([1.0, 2.0, 3.0, 4.0])
    mz = mincer_zarnowitz(0.5 + 2 * f, f)  # exact line
    assert (
        mz["mz_intercept"] == pytest.approx(0.5)
        and mz["mz_slope"] == pytest.approx(2.0)
        and mz["mz_r2"] == pytest.approx(1.0)
    )


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
