"""Point metrics by hand, and the price-versus-return table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.metrics import point_metrics, price_metrics
from signals.autoreg import ArForecaster
from tests.signals.frames import sp500


def test_point_metrics_by_hand():
    # y = (1, 2, 3), f = (1, 1, 4): errors (0, 1, -1)
    m = point_metrics([1.0, 2.0, 3.0], [1.0, 1.0, 4.0])
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert m["r2"] == pytest.approx(1 - 2 / 2)  # SST = 2
    assert m["direction"] == 1.0
    # y = (1, -1), f = (-1, -2) after dropping the NaN pair: errors (2, 1), SST = 2, one sign right
    assert point_metrics([1.0, -1.0, np.nan], [-1.0, -2.0, 5.0]) == {"n": 2, "mae": 1.5, "rmse": pytest.approx(np.sqrt(2.5)), "r2": pytest.approx(1 - 5 / 2), "direction": 0.5}


def test_price_levels_flatter_and_returns_tell_the_truth():
    frame = sp500()
    train, test = frame.loc[:"2007-12-31"], frame.loc["2008-01-01":].index
    fc = ArForecaster(lags=5, target="price").fit(train).predict(frame, test)
    table = price_metrics(fc, frame)
    # price levels: model and "no change" both look excellent
    assert table.loc[("price", "ar5"), "r2"] > 0.95 and table.loc[("price", "persistence"), "r2"] > 0.95
    # returns: the same forecast explains next to nothing
    assert table.loc[("return", "ar5"), "r2"] < 0.05
    # the implied return is exactly log(forecast / previous close)
    prev = frame["close"].shift(1).reindex(test)
    ret_fc = ArForecaster(lags=5).fit(train).predict(frame, test)
    np.testing.assert_allclose(np.log(fc / prev), ret_fc, rtol=1e-10)
