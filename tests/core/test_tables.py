"""core.tables: one layout per table."""

from __future__ import annotations

import pytest

from core.tables import TableSchema


def test_main_and_terminal_columns_follow_the_schema_order_with_patterns_expanded():
    schema = TableSchema(
        columns=("n", "qlike", "qlike_vs_*", "dm_p"), main=("qlike", "qlike_vs_*"), terminal=("n", "qlike_vs_*")
    )
    present = ["dm_p", "qlike_vs_har", "n", "qlike", "qlike_vs_garch", "extra"]
    assert schema.main_of(present) == ["qlike", "qlike_vs_garch", "qlike_vs_har"]
    assert schema.terminal_of(present) == ["n", "qlike_vs_garch", "qlike_vs_har"]
    assert TableSchema(columns=("a", "b"), main=("a",)).terminal_of(["b", "a"]) == ["b", "a"], "no list: all"
    assert schema.main_of(["n"]) == [], "a column the table lacks is not shown"


def test_a_shown_column_the_table_does_not_hold_is_refused():
    with pytest.raises(ValueError, match=r"\['always_up'\] are shown but not among the columns"):
        TableSchema(columns=("n", "rmse"), main=("n", "always_up"))


def test_every_shipped_layout_is_consistent():
    from reports.leaderboards import LEADERBOARDS
    from reports.tail_tests import RISK_TABLE
    from strategies.evaluate import STRATEGY_TABLE, THRESHOLD_TABLE
    from strategies.portfolio import PORTFOLIO_TABLE

    # built at import: a main or terminal column missing from its table's columns raised there
    assert set(LEADERBOARDS) == {"variance", "return", "absolute_return", "price"}
    assert all(s.main for s in (STRATEGY_TABLE, THRESHOLD_TABLE, PORTFOLIO_TABLE, RISK_TABLE, *LEADERBOARDS.values()))
    assert all(s.caption for s in LEADERBOARDS.values()), "the terminal titles every leaderboard"
