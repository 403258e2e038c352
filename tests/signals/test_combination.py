"""Forecast combinations: the grid, rolling weights against a loop written apart, causality, the engine's column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.base import realized_target
from signals.combination import Combination, rolling_weights, simplex_grid
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from tests.signals.frames import sp500


def test_the_simplex_grid_holds_every_point_once():
    g = simplex_grid(3, 0.25)
    assert g.shape == (15, 3)  # C(4 + 2, 2)
    np.testing.assert_allclose(g.sum(axis=1), 1.0)
    assert (g >= 0).all() and len({tuple(r) for r in g}) == len(g)
    assert simplex_grid(2, 0.5).tolist() == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]


def _by_hand(F, y, horizon, window, min_obs, step):
    """The rule in a plain loop: for each row, every grid point's mean QLIKE over the usable past rows."""
    n, m = F.shape
    ws = np.arange(0, 1 + 1e-12, step)
    out = np.full((n, m), 0.5)
    for i in range(n):
        rows = [j for j in range(max(0, i - horizon + 1 - window), i - horizon + 1) if np.isfinite(y[j]) and y[j] > 0]
        if len(rows) < min_obs:
            continue
        best, arg = np.inf, None
        for w in ws[::-1]:  # the grid lists (0, 1) first: the same tie order
            f = w * F[rows, 1] + (1 - w) * F[rows, 0]
            loss = np.mean(y[rows] / f - np.log(y[rows] / f) - 1)
            if loss < best - 1e-15:
                best, arg = loss, w
        out[i] = [1 - arg, arg]
    return out


@pytest.mark.parametrize("horizon", [1, 5])
def test_rolling_weights_equal_a_loop_by_hand(horizon):
    rng = np.random.default_rng(1)
    n = 300
    truth = np.exp(rng.normal(0, 0.5, n))
    y = truth * rng.chisquare(3, n) / 3
    y[rng.random(n) < 0.05] = np.nan  # some unknown targets
    F = np.column_stack([truth * np.exp(rng.normal(0, 0.3, n)), np.full(n, truth.mean())])
    got = rolling_weights(F, y, horizon=horizon, window=60, min_obs=20, step=0.1)
    np.testing.assert_allclose(got, _by_hand(F, y, horizon, 60, 20, 0.1), atol=1e-12)
    assert (got[: 20 + horizon - 1] == 0.5).all()  # too few known targets yet: equal weights


def test_weights_never_use_a_target_unknown_at_the_origin():
    rng = np.random.default_rng(2)
    n, h, t = 400, 5, 250
    y = rng.chisquare(2, n)
    F = np.column_stack([rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)])
    base = rolling_weights(F, y, horizon=h, window=100, min_obs=30, step=0.05)
    # change every target that is not yet known at row t's origin (rows j > t - h) and every later forecast
    y2, F2 = y.copy(), F.copy()
    y2[t - h + 1 :] = rng.chisquare(2, n - (t - h + 1)) * 10
    F2[t + 1 :] = rng.uniform(0.1, 9, (n - t - 1, 2))
    moved = rolling_weights(F2, y2, horizon=h, window=100, min_obs=30, step=0.05)
    np.testing.assert_array_equal(moved[: t + 1], base[: t + 1])
    assert not np.array_equal(moved[t + h + 5 :], base[t + h + 5 :])


def test_the_engine_adds_each_combination_as_a_model():
    frame = sp500()
    models = {"loghar": HarForecaster(log=True), "ewma": EwmaForecaster(), "har": HarForecaster()}
    combos = {
        "rolling": Combination(members=("loghar", "ewma"), window=250, min_obs=100),
        "equal": Combination(members=("loghar", "ewma", "har"), weights="equal"),
    }
    res = walk_forward(frame, models, WalkForward(start="2006-01-01"), combinations=combos)
    fc = res.for_symbol()
    assert list(fc.columns) == ["loghar", "ewma", "har", "rolling", "equal", "fold"]
    np.testing.assert_allclose(fc["equal"], fc[["loghar", "ewma", "har"]].mean(axis=1), rtol=1e-14)
    y = realized_target(frame, "variance").reindex(fc.index).to_numpy()
    w = rolling_weights(fc[["loghar", "ewma"]].to_numpy(), y, horizon=1, window=250, min_obs=100)
    np.testing.assert_allclose(fc["rolling"], (w * fc[["loghar", "ewma"]].to_numpy()).sum(axis=1), rtol=1e-14)
    pd.testing.assert_frame_equal(
        res.weights[("SP500", "rolling")], pd.DataFrame(w, index=fc.index, columns=["loghar", "ewma"])
    )
    assert res.models["rolling"].horizon == 1 and "rolling" in res.score().index.get_level_values("model")


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Combination(members=("a",)), r"members must name two or more different forecasters; got \('a',\)"),
        (lambda: Combination(members=("a", "a")), r"members must name two or more different forecasters"),
        (lambda: Combination(members=("a", "b"), weights="best"), r"weights must be one of 'rolling', 'equal'"),
        (lambda: Combination(members=("a", "b"), window=5), r"window must be an integer >= 20; got 5"),
        (
            lambda: Combination(members=("a", "b"), step=0.3),
            r"step must be 1/k for a whole k >= 2, such as 0.05, 0.1 or 0.25; got 0.3",
        ),
    ],
)
def test_bad_combinations_are_refused_by_name(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_a_combination_must_name_variance_forecasters_of_the_run():
    frame = sp500()
    models = {"loghar": HarForecaster(log=True), "har5": HarForecaster(horizon=5)}
    split = WalkForward(start="2010-01-01")
    with pytest.raises(ParameterError, match=r"member 'gru' is not a forecaster of this run"):
        walk_forward(frame, models, split, combinations={"c": Combination(members=("loghar", "gru"))})
    with pytest.raises(ParameterError, match=r"members must be variance forecasters of one horizon"):
        walk_forward(frame, models, split, combinations={"c": Combination(members=("loghar", "har5"))})
    with pytest.raises(ParameterError, match=r"the combination 'loghar' is named like a forecaster"):
        walk_forward(frame, models, split, combinations={"loghar": Combination(members=("loghar", "har5"))})
