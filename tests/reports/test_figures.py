"""Report figures say no more than their data: checked on the matplotlib figure itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports import figures


@pytest.fixture
def drawn(monkeypatch):
    figs = []
    monkeypatch.setattr(figures, "to_data_uri", lambda fig: figs.append(fig) or "data:image/png;base64,")
    return figs


def test_attention_chart_shows_uniform_weights_as_uniform(drawn):
    lags = pd.RangeIndex(10, name="lag")
    near_uniform = {("SPX", "gru", k): pd.Series(0.1 + 0.002 * np.sin(np.arange(10) + k), index=lags) for k in range(3)}
    assert figures.attention_by_lag(near_uniform) is not None
    (ax,) = drawn[0].axes
    assert ax.get_ylim()[0] == 0.0, "an axis from 0: a 2 % wiggle must not fill the chart"
    uniform = [line for line in ax.get_lines() if np.allclose(line.get_ydata(), 0.1)]
    assert uniform and uniform[0].get_label() == "uniform (1/10)"
