"""Hybrid networks: an untrained hybrid is its baseline, exactly; the baseline column is a daily rolling refit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.base import ParameterError
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from signals.hybrid import HybridForecaster, base_forecasts
from signals.rnn import RnnForecaster
from tests.signals.frames import sp500

TINY = dict(cell="gru", hidden=(8,), seq_len=10, epochs=3, batch_size=128)


@pytest.fixture(scope="module")
def frame():
    return sp500()


def _zeroed(h: HybridForecaster) -> HybridForecaster:
    with torch.no_grad():
        for m in h.net_.member_modules():
            m.w_out.zero_()
            m.b_out.zero_()
            m.w_skip.zero_()
    h._net64 = None
    return h


def test_the_baseline_column_is_a_daily_rolling_refit_of_the_base(frame):
    # the engine's daily schedule on 600 rows, and the column the hybrid reads, on the same dates
    daily = WalkForward(start="2009-01-01", refit_every=1, window="rolling", train_length=600)
    res = walk_forward(frame, {"b": HarxForecaster()}, WalkForward(start="2009-01-01"), schedules={"b": daily})
    dates = res.for_symbol().index
    origins = frame.index.searchsorted(dates) - 1
    column = base_forecasts(HarxForecaster(), frame, origins, length=600, min_rows=252)
    np.testing.assert_array_equal(column, res.for_symbol()["b"].to_numpy())
    # before min_rows rows exist there is no forecast; after, an expanding window until length rows
    early = base_forecasts(HarxForecaster(), frame, np.array([100, 300]), length=600, min_rows=252)
    assert np.isnan(early[0])
    by_hand = HarxForecaster().fit(frame.iloc[:301]).predict(frame.iloc[:302], frame.index[301:302])
    assert early[1] == by_hand.iloc[0]


def test_a_hybrid_with_zero_weights_returns_the_baseline_exactly(frame):
    train = frame.loc[:"2007-12-31"]
    dates = frame.loc["2008-01-01":"2008-12-31"].index
    origins = frame.index.searchsorted(dates) - 1
    for hybrid in (
        HybridForecaster(net=RnnForecaster(**TINY)),
        HybridForecaster(net=RnnForecaster(**TINY), seeds=(0, 1, 2), base_input=False),
        HybridForecaster(net=RnnForecaster(**TINY, horizon=5), base=HarForecaster(log=True, horizon=5)),
    ):
        fitted = _zeroed(hybrid.clone().fit(train))
        base = base_forecasts(hybrid.base, frame, origins, length=1000, min_rows=252)
        np.testing.assert_array_equal(fitted.predict(frame, dates).to_numpy(), base)


def test_an_untrained_hybrid_starts_at_its_baseline_and_keeps_it_unless_an_epoch_beats_it(frame):
    train = frame.loc[:"2007-12-31"]
    # the head and skip path start at zero: before any step the hybrid is its baseline
    h = HybridForecaster(net=RnnForecaster(**{**TINY, "epochs": 1, "lr": 1e-12}))
    fitted = h.fit(train)
    assert fitted.history_.index[0] == 0  # the starting weights were scored first ("epoch 0")
    start, one = fitted.history_["val_loss"].iloc[:2]
    # with a learning rate of 1e-12 nothing moves: epoch 1 ties epoch 0, whose weights are kept
    assert fitted.best_epoch_ == 0 and one == pytest.approx(start, rel=1e-6)


def test_hybrid_parameters_are_checked_by_name(frame):
    cases = [
        (dict(net=HarForecaster()), r"net must be an RnnForecaster; got HarForecaster"),
        (dict(base=RnnForecaster()), r"base must be a HarForecaster or HarxForecaster"),
        (dict(base=HarxForecaster(horizon=5)), r"base.horizon=5 differs from net.horizon=1"),
        (dict(net=RnnForecaster(attention=True)), r"net.attention=True cannot be grouped"),
        (dict(seeds=()), r"seeds must be a non-empty tuple of integers; got \(\)"),
        (dict(base_length=10), r"base_length must be an integer >= 50 or None; got 10"),
        (dict(net=RnnForecaster(target="return")), r"net.target must be 'variance'; got 'return'"),
    ]
    for params, match in cases:
        with pytest.raises(ParameterError, match=match):
            HybridForecaster(**params).fit(frame)


def test_a_warm_hybrid_reloads_from_plain_arrays(frame):
    train = frame.loc[:"2007-12-31"]
    first = HybridForecaster(net=RnnForecaster(**TINY), seeds=(0, 1)).fit(train)
    restored = HybridForecaster(net=RnnForecaster(**TINY), seeds=(0, 1)).load_warm_state(
        first.warm_state(), first.fit_end_
    )
    for a, b in zip(first.net_.state_dict().values(), restored.net_.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = HybridForecaster(net=RnnForecaster(**TINY), seeds=(0, 1)).fit(
            frame.loc[:"2008-12-31"], warm_start=restored
        )
    assert warm.warm_started_ and np.isfinite(warm.predict(frame, frame.loc["2009"].index)).all()


def test_a_pooled_hybrid_reads_each_assets_own_baseline(frame):
    other = frame.assign(rv=frame["rv"] * 4.0)  # a second asset, four times as volatile
    h = _zeroed(
        HybridForecaster(net=RnnForecaster(**TINY)).fit_pooled({"A": frame.loc[:"2007"], "B": other.loc[:"2007"]})
    )
    dates = frame.loc["2008-01-01":"2008-03-31"].index
    a, b = h.predict(frame, dates), h.predict(other, dates)
    # a log-HAR-X of rv scaled by 4 forecasts 4 times as much; the zeroed hybrid passes that through
    np.testing.assert_allclose(b.to_numpy(), 4.0 * a.to_numpy(), rtol=1e-9)
    assert isinstance(a, pd.Series)
