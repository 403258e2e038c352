"""End to end: walk-forward forecasts on the embedded S&P 500 through both strategies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from strategies.evaluate import strategy_table
from tests.signals.frames import sp500


@pytest.fixture(scope="module")
def run():
    frame = sp500()
    res = walk_forward(frame, {"loghar": HarForecaster(log=True), "ewma": EwmaForecaster()}, WalkForward(start="2007-01-01"))
    return frame, res.for_symbol().drop(columns="fold")


def test_strategies_run_end_to_end(run):
    frame, fc = run
    table, results = strategy_table(frame["close"], fc, regime_lookback=120)
    assert list(table.index) == [("loghar", "vol_target"), ("loghar", "regime"), ("ewma", "vol_target"), ("ewma", "regime"), ("buy_and_hold", "-")]
    assert table[["sharpe", "max_drawdown", "realised_vol", "turnover_per_year"]].notna().all().all()
    # 2007-2010 holds the 2008 crash: vol-targeting cuts the drawdown of buy and hold
    assert table.loc[("ewma", "vol_target"), "max_drawdown"] > table.loc[("buy_and_hold", "-"), "max_drawdown"] + 0.1
    res = results[("ewma", "vol_target")]
    # weights held on a day come from the forecast for that day
    day = fc.index[100]
    assert res.weights.loc[day] == pytest.approx(min(0.10 / np.sqrt(252 * fc.loc[day, "ewma"]), 2.0))


def test_smooth_reaches_vol_targeting_and_not_the_regime_rule(run):
    frame, fc = run
    plain, plain_res = strategy_table(frame["close"], fc, regime_lookback=120)
    smooth, smooth_res = strategy_table(frame["close"], fc, regime_lookback=120, smooth=10)
    day = fc.index[100]
    mean10 = fc["ewma"].iloc[91:101].mean()  # the forecast for the day held and the nine before it
    assert smooth_res[("ewma", "vol_target")].weights.loc[day] == pytest.approx(min(0.10 / np.sqrt(252 * mean10), 2.0))
    assert smooth.loc[("ewma", "vol_target"), "turnover_per_year"] < plain.loc[("ewma", "vol_target"), "turnover_per_year"]
    pd.testing.assert_series_equal(smooth_res[("ewma", "regime")].weights, plain_res[("ewma", "regime")].weights)
