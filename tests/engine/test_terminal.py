"""The terminal's lines about where tables were scored, and the report's notes beside them."""

from __future__ import annotations

import pandas as pd

from core.tables import Window
from engine.terminal import portfolio_window_line, window_line
from reports.html import _blank_se


def test_a_window_too_short_for_the_bootstrap_says_why_its_standard_errors_are_blank():
    short = Window.of(pd.DatetimeIndex(["2018-12-28", "2018-12-31"]))
    long = Window.of(pd.bdate_range("2018-01-01", periods=44))
    reason = "the standard errors are blank: 2 days are fewer than the 44 that the block bootstrap needs"
    for line in (window_line, portfolio_window_line):
        assert line(short).endswith("; " + reason + " (two blocks of 22)")
        assert "blank" not in line(long)
    assert _blank_se(short) == " The standard errors are blank: 2 days are fewer than the 44 that the block " + (
        "bootstrap needs (two blocks of 22)."
    )
    assert _blank_se(long) == ""
