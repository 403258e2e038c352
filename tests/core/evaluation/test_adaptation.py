"""Regime shifts and adaptation lags on hand-checkable series."""

import numpy as np
import pandas as pd
import pytest

from core.evaluation.adaptation import adaptation_lag, regime_shifts


def step(n=300, at=150, low=0.10, high=0.30):
    idx = pd.bdate_range("2015-01-01", periods=n)
    vol = np.where(np.arange(n) < at, low, high)
    return pd.Series(vol**2 / 252, index=idx)


def test_a_step_is_one_shift_up_at_the_step():
    rv = step()
    shifts = regime_shifts(rv, window=22, ratio=1.5, gap=66)
    assert list(shifts.index) == [rv.index[150]]
    row = shifts.iloc[0]
    assert row["direction"] == "up"
    assert row["vol_before"] == pytest.approx(0.10) and row["vol_after"] == pytest.approx(0.30)
    down = regime_shifts(step(low=0.3, high=0.1), window=22, ratio=1.5)
    assert list(down["direction"]) == ["down"]


def test_lags_by_hand():
    rv = step()
    shifts = regime_shifts(rv)
    idx = rv.index
    # perfect: already at the new level on the shift day; ewma: the RiskMetrics-style
    # recursion on the realised variance, whose lag is found by hand below; stuck: never moves
    perfect = rv.copy()
    lam = 0.94
    ewma = np.empty(len(rv))
    ewma[0] = rv.iloc[0]
    for t in range(1, len(rv)):
        ewma[t] = lam * ewma[t - 1] + (1 - lam) * rv.iloc[t - 1]
    stuck = pd.Series(0.10**2 / 252, index=idx)
    fc = pd.DataFrame({"perfect": perfect, "ewma": ewma, "stuck": stuck}, index=idx)
    lags = adaptation_lag(fc, shifts, band=0.25, horizon=66)
    vol = np.sqrt(252 * ewma[150:])
    expected = int(np.flatnonzero(np.abs(vol / 0.30 - 1) <= 0.25)[0])
    assert lags.loc[idx[150], "perfect"] == 0.0
    assert lags.loc[idx[150], "ewma"] == expected and 5 < expected < 40
    assert np.isnan(lags.loc[idx[150], "stuck"])


def test_ratio_must_exceed_one():
    with pytest.raises(ValueError, match="ratio must be above 1"):
        regime_shifts(step(), ratio=1.0)
