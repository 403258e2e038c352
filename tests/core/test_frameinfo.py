"""A frame's typed description: kept through pandas operations, stored and read back,
read the same when written the old way (attrs keys).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.frameinfo import KEY, FrameInfo, frame_info, set_info

INFO = FrameInfo(
    source="csv:prices.csv",
    symbols=("A", "B"),
    filled_rows={"A": 1, "B": 0},
    timezone={"B": "America/New_York"},
    notes=("A: read as close-only", "B: a split on 2020-01-02", "dates are exchange days"),
    estimator="garman_klass",
    vix_coverage=0.5,
)


def test_the_description_survives_slicing_and_arithmetic():
    frame = pd.DataFrame({"close": np.arange(5.0) + 1}, index=pd.bdate_range("2020-01-01", periods=5))
    set_info(frame, INFO)
    assert set(frame.attrs) == {KEY}
    assert frame_info(frame.iloc[1:3]) == INFO
    assert frame_info(np.log(frame["close"]).diff()) == INFO
    assert frame_info(pd.DataFrame({"x": [1.0]})) == FrameInfo(), "a frame without one has an empty one"


def test_it_round_trips_through_json_and_reads_the_old_keys():
    assert FrameInfo.from_json(json.loads(json.dumps(INFO.to_json()))) == INFO
    old = pd.DataFrame({"close": [1.0]})
    old.attrs = {"symbols": ["SPY"], "estimator": "parkinson", "unrelated": 3}
    assert frame_info(old) == FrameInfo(symbols=("SPY",), estimator="parkinson")
    set_info(old, frame_info(old))
    assert old.attrs == {"unrelated": 3, KEY: FrameInfo(symbols=("SPY",), estimator="parkinson")}
    # a key written the old way after the description: what the user said last wins
    old.attrs["symbols"] = ["DAX"]
    assert frame_info(old).symbols == ("DAX",) and frame_info(old).estimator == "parkinson"


def test_one_assets_share_keeps_its_own_counts_zone_and_notes():
    assert INFO.for_symbol("A") == FrameInfo(
        source="csv:prices.csv",
        symbols=("A",),
        filled_rows={"A": 1},
        notes=("A: read as close-only", "dates are exchange days"),
        estimator="garman_klass",
        vix_coverage=0.5,
    )
    assert INFO.for_symbol("B").timezone == {"B": "America/New_York"}
