"""Realized measures from intraday bars, against a simulated diffusion whose integrated variance is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from signals import realized
from signals.intraday import realized_measures

MINUTES = 390  # 09:30 to 16:00


def simulate(n_days: int, seed: int, jump: float = 0.0, gap: float = 0.0):
    """One-minute prices of a diffusion with a deterministic intraday volatility smile
    and a daily level; returns the bars and each day's integrated variance (and jump).
    """
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2021-01-04", periods=n_days)
    u = (np.arange(MINUTES) + 0.5) / MINUTES
    smile = 1.0 + 0.8 * (u - 0.5) ** 2 * 4  # higher at the open and the close
    rows, ivs, jumps, price = [], [], [], 100.0
    for d in days:
        level = 0.01 * np.exp(rng.normal(0, 0.3))  # the day's volatility
        sigma2 = (level * smile) ** 2 / (smile**2).mean() / MINUTES  # per-minute variance, summing to level^2
        r = rng.normal(0, np.sqrt(sigma2))
        j = 0.0
        if jump:
            j = jump * rng.choice([-1, 1])
            r[MINUTES // 2] += j
        price *= np.exp(gap * rng.normal())
        times = d + pd.Timedelta(hours=9, minutes=30) + pd.to_timedelta(np.arange(MINUTES + 1), unit="min")
        path = price * np.exp(np.r_[0.0, np.cumsum(r)])
        rows.append(pd.DataFrame({"close": path, "volume": 100.0}, index=times))
        price = path[-1]
        ivs.append(sigma2.sum())
        jumps.append(j)
    return pd.concat(rows), pd.Series(ivs, index=days), pd.Series(jumps, index=days)


def test_kernel_by_hand():
    r = np.array([0.01, -0.02, 0.03, 0.0, -0.01])
    day = np.array([0, 0, 0, 1, 1])
    m = realized.day_measures(r, day, 2)
    np.testing.assert_allclose(m["rv"], [0.0001 + 0.0004 + 0.0009, 0.0001])
    np.testing.assert_allclose(m["bv"], [np.pi / 2 * 3 / 2 * (0.01 * 0.02 + 0.02 * 0.03), np.pi / 2 * 2 * 0.0])
    np.testing.assert_allclose(m["rs_pos"], [0.0001 + 0.0009, 0.0])
    np.testing.assert_allclose(m["rs_neg"], [0.0004, 0.0001])
    np.testing.assert_allclose(m["rq"], [3 / 3 * (1e-8 + 16e-8 + 81e-8), 2 / 3 * 1e-8])


def test_measures_recover_integrated_variance():
    bars, iv, _ = simulate(300, seed=1)
    m = realized_measures(bars)  # 5-minute returns: 78 a day
    assert list(m.index) == list(iv.index) and (m["n_intraday"] == 78).all()
    np.testing.assert_allclose((m["realized"] / iv).mean(), 1.0, atol=0.03)  # RV/IV ~ chi2(78)/78 on average
    np.testing.assert_allclose((m["bv"] / iv).mean(), 1.0, atol=0.04)
    np.testing.assert_allclose(m["rs_pos"] + m["rs_neg"], m["realized"], rtol=1e-12)
    np.testing.assert_allclose((m["rs_pos"] / m["realized"]).mean(), 0.5, atol=0.02)
    # RQ estimates the integrated quarticity; with a smile it is above IV^2 (here by the smile's 4th moment)
    u = (np.arange(MINUTES) + 0.5) / MINUTES
    smile = 1.0 + 0.8 * (u - 0.5) ** 2 * 4
    iq_over_iv2 = (smile**4).mean() / (smile**2).mean() ** 2
    np.testing.assert_allclose((m["rq"] / iv**2).mean(), iq_over_iv2, rtol=0.12)
    # daily bars: first, max, min and last of the day's prices
    day0 = bars.loc[bars.index.normalize() == m.index[0], "close"]
    assert (m.iloc[0]["open"], m.iloc[0]["high"], m.iloc[0]["low"], m.iloc[0]["close"]) == (
        day0.iloc[0],
        day0.max(),
        day0.min(),
        day0.iloc[-1],
    )
    assert m.iloc[0]["volume"] == 100.0 * (MINUTES + 1)


def test_bipower_variation_is_robust_to_jumps():
    bars, iv, jumps = simulate(300, seed=2, jump=0.02)
    m = realized_measures(bars)
    excess_rv = (m["realized"] - iv - jumps**2).mean() / iv.mean()
    assert abs(excess_rv) < 0.05  # RV = IV + jump^2
    # BV keeps a jump out but for its neighbours' |r_j||r_j+-1| terms, O(|J| sqrt(IV / n)): far below J^2,
    # and shrinking as the grid gets finer
    excess_bv = (m["bv"] - iv).mean() / iv.mean()
    assert excess_bv < 0.15 * (m["realized"] - iv).mean() / iv.mean()
    fine = realized_measures(bars, every="1min")
    assert 0 < (fine["bv"] - iv).mean() / iv.mean() < excess_bv


def test_overnight_is_separate_unless_added():
    bars, _, _ = simulate(50, seed=3, gap=0.01)
    sep = realized_measures(bars)
    add = realized_measures(bars, overnight="add")
    closes = sep["close"].to_numpy()
    opens = sep["open"].to_numpy()
    np.testing.assert_allclose(sep["overnight"].iloc[1:], np.log(opens[1:] / closes[:-1]), rtol=1e-9)
    assert np.isnan(sep["overnight"].iloc[0])
    o2 = np.nan_to_num(sep["overnight"] ** 2)
    np.testing.assert_allclose(add["realized"], sep["realized"] + o2, rtol=1e-12)
    np.testing.assert_allclose(add["rs_pos"] + add["rs_neg"], add["realized"], rtol=1e-12)


def test_sparse_trading_uses_the_previous_tick_and_bad_input_is_refused():
    bars, _, _ = simulate(5, seed=4)
    sparse = bars.iloc[::7]  # a trade every 7 minutes: some 5-minute bins are empty
    m = realized_measures(sparse)
    assert (m["n_intraday"] >= 75).all() and m["realized"].notna().all()
    with pytest.raises(DataError, match=r"every='5 minutes' is not a frequency"):
        realized_measures(bars, every="5 minutes")
    with pytest.raises(DataError, match=r"overnight must be one of separate, add"):
        realized_measures(bars, overnight="ignore")
    with pytest.raises(DataError, match="positive prices"):
        realized_measures(bars.assign(close=-1.0))
