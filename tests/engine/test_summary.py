"""engine.summary against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data import load
from engine.summary import format_summary, summarize


def test_sp500_summary_facts():
    bars = load("embedded:sp500")
    (s,) = summarize(bars)
    assert s.rows == 5031 and s.first == pd.Timestamp("1999-01-04") and s.last == pd.Timestamp("2018-12-31")
    # The market closed after 10 September 2001 and reopened on the 17th.
    assert s.longest_break_days == 7 and s.longest_break_after == pd.Timestamp("2001-09-10")
    r = np.diff(np.log(bars["close"].to_numpy()))
    assert s.ann_vol["close_to_close"] == pytest.approx(np.sqrt(252 * np.mean(r**2)), rel=1e-12)
    assert set(s.ann_vol) == {"close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang"}


def test_close_only_summary_says_what_is_missing():
    text = format_summary(load("embedded:vix"))
    assert (
        "close_to_close" in text
        and "(close only: parkinson, garman_klass, rogers_satchell, yang_zhang need open, high and low)" in text
    )
