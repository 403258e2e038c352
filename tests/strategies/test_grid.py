"""Parameter grids: one vectorbt call, the same numbers as single backtests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strategies import backtest as bt
from strategies.backtest import backtest
from strategies.grid import threshold_grid, vol_target_grid
from strategies.threshold import threshold_weights
from strategies.vol_target import vol_target_weights


@pytest.fixture(scope="module")
def market():
    rng = np.random.default_rng(2)
    days = pd.bdate_range("2012-01-02", periods=800)
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, 800))), index=days)
    var = pd.Series(1e-4 * np.exp(rng.normal(0, 0.3, 799)), index=days[1:])
    ret = pd.Series(rng.normal(0, 0.001, 799), index=days[1:])
    return close, var, ret


def test_vol_target_grid_is_one_call_and_matches_single_runs(market, monkeypatch):
    close, var, _ = market
    calls = []
    real = bt.run_orders
    monkeypatch.setattr("strategies.grid.run_orders", lambda *a, **k: calls.append(1) or real(*a, **k))
    res = vol_target_grid(
        close, var, targets=(0.05, 0.10), bands=(0.0, 0.1), max_leverage=(1.0, 2.0), smooths=(1, 10), calibrate="none"
    )
    assert len(calls) == 1, "one vectorised vectorbt call for the whole grid"
    assert res.n_trials == 16 and res.stats.shape[0] == 16
    for smooth in (1, 10):
        single = backtest(close, vol_target_weights(var, target_vol=0.10, band=0.1, max_leverage=2.0, smooth=smooth))
        np.testing.assert_allclose(
            res.returns[(0.10, 0.1, 2.0, smooth)].to_numpy(), single.returns.to_numpy(), rtol=1e-10
        )
        assert res.stats.loc[(0.10, 0.1, 2.0, smooth), "sharpe"] == pytest.approx(
            single.stats.iloc[0]["sharpe"], rel=1e-10
        )
    assert not np.allclose(res.returns[(0.10, 0.1, 2.0, 1)], res.returns[(0.10, 0.1, 2.0, 10)]), (
        "smooth reaches the weights"
    )
    assert res.best in list(res.stats.index) and 0.0 <= res.deflated_sharpe <= 1.0


def test_threshold_grid(market):
    close, _, ret = market
    res = threshold_grid(close, ret, uppers=(0.0, 0.001), short=(True, False), between=("flat",))
    single = backtest(close, threshold_weights(ret, upper=0.001, short=False))
    np.testing.assert_allclose(res.returns[(0.001, False, "flat")].to_numpy(), single.returns.to_numpy(), rtol=1e-10)
    # a pure-noise forecast: the best of four is likely luck, and the DSR says so
    assert res.deflated_sharpe < 0.95
