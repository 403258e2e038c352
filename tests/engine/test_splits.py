"""WalkForward folds, checked by hand."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import engine.splits
from core.errors import ParameterError
from engine.splits import WalkForward

DATES = pd.bdate_range("2020-01-01", periods=30)  # 2020-01-01 (Wed) .. 2020-02-11


def test_docstring_example_runs():
    assert doctest.testmod(engine.splits).failed == 0


def test_row_blocks_expanding():
    folds = WalkForward(start=10, refit_every=7, min_train=5).split(DATES)
    # test blocks [10,17) [17,24) [24,30); training = every row before the block
    assert [(f.train.start, f.train.stop, f.test.start, f.test.stop) for f in folds] == [
        (0, 10, 10, 17),
        (0, 17, 17, 24),
        (0, 24, 24, 30),
    ]
    assert folds[0].test_dates == (DATES[10], DATES[16]) and folds[-1].n_test == 6


def test_rolling_window_and_embargo():
    folds = WalkForward(start=10, refit_every=10, window="rolling", train_length=6, embargo=2, min_train=5).split(DATES)
    # block at 10: training stops 2 rows early at 8 and keeps 6 rows: [2, 8)
    assert [(f.train.start, f.train.stop) for f in folds] == [(2, 8), (12, 18)]
    assert [(f.test.start, f.test.stop) for f in folds] == [(10, 20), (20, 30)]


def test_calendar_blocks_start_at_a_date():
    folds = WalkForward(start="2020-01-15", refit_every="month", min_train=5).split(DATES)
    # January from the 15th (13 business days), then February 1..11 (8 business days)
    assert [f.test_dates for f in folds] == [
        (pd.Timestamp("2020-01-15"), pd.Timestamp("2020-01-31")),
        (pd.Timestamp("2020-02-03"), pd.Timestamp("2020-02-11")),
    ]
    assert folds[0].train.stop == DATES.get_loc(pd.Timestamp("2020-01-15"))


@pytest.mark.parametrize("rule", [5, "month", "quarter", "year"])
def test_test_blocks_are_contiguous_disjoint_and_cover_the_rest(rule):
    dates = pd.bdate_range("2015-01-01", "2019-12-31")
    folds = WalkForward(start="2016-06-15", refit_every=rule).split(dates)
    first = dates.searchsorted(pd.Timestamp("2016-06-15"))
    assert folds[0].test.start == first and folds[-1].test.stop == len(dates)
    for a, b in zip(folds, folds[1:]):
        assert a.test.stop == b.test.start  # contiguous and disjoint
    for f in folds:
        assert f.train.stop <= f.test.start  # never trains on its own test rows


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start": 10, "window": "sliding"}, r"window must be one of 'expanding', 'rolling'; got 'sliding'"),
        ({"start": 10, "refit_every": "week"}, r"refit_every must be one of 'month', 'quarter', 'year'; got 'week'"),
        ({"start": 10, "refit_every": 0}, r"refit_every must be an integer >= 1; got 0"),
        (
            {"start": 10, "window": "rolling"},
            r"train_length must be an integer >= 1; got None. Hint: window='rolling' needs train_length",
        ),
        ({"start": 10, "train_length": 5}, r"train_length=5 applies to window='rolling' only"),
        (
            {"start": 10, "min_train": 20},
            r"fold 0 \(test from 2020-01-15\) has 10 training rows, fewer than min_train=20",
        ),
        ({"start": 99}, r"start=99 must be a row inside the data \(1..29\)"),
        ({"start": "2021-01-01", "min_train": 5}, r"start=2021-01-01 is after the last date 2020-02-11"),
        ({"start": "soon"}, r"start must be a date such as '2008-01-01' or a row number; got 'soon'"),
        ({"start": 10, "embargo": -1, "min_train": 5}, r"embargo must be an integer >= 0; got -1"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        WalkForward(**kwargs).split(DATES)


def test_train_fraction_is_one_chronological_split():
    dates = pd.bdate_range("2010-01-01", periods=1000)
    (fold,) = WalkForward(start=None, train_fraction=0.8).split(dates)
    assert (fold.train, fold.test) == (slice(0, 800), slice(800, 1000))
    (fold,) = WalkForward(start=None, train_fraction=0.8, embargo=5).split(dates)
    assert fold.train == slice(0, 795)
    with pytest.raises(ParameterError, match=r"give start or train_fraction, not both"):
        WalkForward(start="2012-01-01", train_fraction=0.8).split(dates)


def test_a_bare_number_is_never_read_as_a_year():
    dates = pd.bdate_range("2005-01-03", "2010-12-31")
    with pytest.raises(
        ParameterError,
        match=r"start='2008' is a bare number, which would be read as the year 2008. Hint: write a date such as "
        r"'2008-01-01'",
    ):
        WalkForward(start="2008").split(dates)
    assert WalkForward(start=1000, refit_every=100).split(dates)[0].test.start == 1000  # an int is a row
