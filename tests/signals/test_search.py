"""Hyperparameter search inside each fit: validation tail only, reproducible, chosen values recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from signals.search import SearchForecaster
from tests.signals.frames import sp500

SEEN: list[tuple[str, pd.Timestamp, pd.Timestamp | None]] = []


class SpyHar(HarForecaster):
    """A HAR that records the last row of every frame it fits on and every date it forecasts."""

    def fit(self, frame, *, warm_start=None):
        SEEN.append(("fit", frame.index[-1], None))
        return super().fit(frame, warm_start=warm_start)

    def predict(self, frame, index):
        SEEN.append(("predict", pd.DatetimeIndex(index).max(), frame.index[origin_of(frame, index)]))
        return super().predict(frame, index)


def origin_of(frame, index):
    return int(np.searchsorted(frame.index, pd.DatetimeIndex(index).max(), side="left")) - 1


@pytest.fixture(scope="module")
def frame():
    return sp500()


def test_a_walk_forward_search_never_sees_a_test_row(frame):
    SEEN.clear()
    model = SearchForecaster(model=SpyHar(), space={"log": [True, False], "lags": [(1, 5, 22), (1, 5)]}, trials=3)
    res = walk_forward(
        frame.loc[:"2010-12-31"], {"s": model}, WalkForward(start="2009-01-01", refit_every="year"), progress=False
    )
    folds = res.folds["SP500"]
    ends = [frame.index[f.test.start - 1] for f in folds]  # each fold's last training day
    assert len(ends) == 2
    # the engine runs the folds in order: each fold's trials, then its refit on every training row
    fold = 0
    for kind, last, _ in SEEN:
        assert last <= ends[fold], (
            f"fold {fold} saw {kind} of {last.date()}, after its training end {ends[fold].date()}"
        )
        if kind == "fit" and last == ends[fold]:
            fold += 1  # the refit on all of the fold's rows closes it
            if fold == len(ends):
                break
    assert fold == len(ends), "every fold ended with its refit"
    assert sum(kind == "predict" for kind, _, _ in SEEN) >= 4, "trials forecast their validation tails"
    assert res.fits["search_val_loss"].notna().all()
    assert {"search_log_choice", "search_lags_choice"} <= set(res.fits.columns)  # by position in the list


def test_the_search_uses_the_tail_of_the_training_rows_only(frame):
    SEEN.clear()
    train = frame.loc[:"2006-12-31"]
    model = SearchForecaster(model=SpyHar(), space={"log": [True, False]}, trials=2, validation=200).fit(train)
    fits = [t for kind, t, _ in SEEN if kind == "fit"]
    forecasts = [t for kind, t, _ in SEEN if kind == "predict"]
    tail_start = train.index[-200]
    assert all(t < tail_start for t in fits[:-1]), "trial fits end before the validation tail"
    assert fits[-1] == train.index[-1], "the chosen values are refitted on every training row"
    assert forecasts and all(t <= train.index[-1] for t in forecasts), "no trial forecasts past the training rows"
    # the recorded loss is the chosen model's own, computed by hand on the same split
    chosen = model.chosen_
    assert model.best_loss_ == pytest.approx(model.trials_["loss"].min())
    by_hand = model._score(chosen, train.iloc[:-200], train, train.index[-200:])
    assert model.best_loss_ == pytest.approx(by_hand, rel=1e-12)


def test_the_same_seed_chooses_the_same_values(frame):
    train = frame.loc[:"2007-12-31"]
    space = {"leverage": [True, False], "lags": [(1, 5, 22), (1, 5), (1, 22)], "log": [True, False]}
    a = SearchForecaster(model=HarxForecaster(), space=space, trials=3, seed=1).fit(train)
    b = SearchForecaster(model=HarxForecaster(), space=space, trials=3, seed=1).fit(train)
    assert a.chosen_ == b.chosen_ and a.best_loss_ == b.best_loss_
    index = frame.loc["2008-01-01":"2008-03-31"].index
    pd.testing.assert_series_equal(a.predict(frame, index), b.predict(frame, index))


def test_without_a_space_it_is_the_model(frame):
    train = frame.loc[:"2006-12-31"]
    index = frame.loc["2007-01-01":"2007-06-30"].index
    plain = HarForecaster(log=True).fit(train).predict(frame, index)
    searched = SearchForecaster().fit(train).predict(frame, index)
    np.testing.assert_array_equal(searched.to_numpy(), plain.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"space": {"lag": [1]}}, r"space names 'lag', which HarForecaster does not take"),
        ({"space": {"log": []}}, r"space\['log'\] must be a non-empty list"),
        ({"space": {"horizon": [0]}}, r"horizon"),
        ({"trials": 0}, r"trials"),
        ({"model": SearchForecaster()}, r"model must be a forecaster \(not another search\)"),
    ],
)
def test_bad_searches_are_named(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        SearchForecaster(**kwargs).validate_params()


def _wrapped(**more) -> dict:
    """A searched GRU as a ``type = "search"`` forecaster table."""
    return {
        "name": "gru_tuned",
        "type": "search",
        "model": {"type": "rnn", "cell": "gru", "epochs": 5},
        "space": {"hidden": [[16], [32]], "lr": [0.001, 0.01]},
        "trials": 3,
        **more,
    }


def test_a_search_from_a_config_builds_and_round_trips():
    import tomllib

    from engine.config import from_dict, to_dict
    from engine.store import to_toml

    config = from_dict({"forecasters": [_wrapped()]})
    model = config.forecasters[0].build()
    assert isinstance(model, SearchForecaster) and model.model.cell == "gru" and model.trials == 3
    assert model.space["hidden"] == [[16], [32]]
    again = from_dict(tomllib.loads(to_toml(to_dict(config))))
    assert to_dict(again) == to_dict(config)


def test_a_search_sub_table_under_any_forecaster_is_the_same_search():
    import tomllib

    from engine.config import from_dict

    sub = tomllib.loads(
        """
[[forecasters]]
name = "gru_tuned"
type = "rnn"
cell = "gru"
epochs = 5
[forecasters.schedule]
refit_every = "quarter"
[forecasters.search]
hidden = [[16], [32]]
lr = [0.001, 0.01]
trials = 3
seed = 4
"""
    )
    wrapped = {"forecasters": [_wrapped(seed=4, schedule={"refit_every": "quarter"})]}
    assert from_dict(sub) == from_dict(wrapped), "lists are candidates, scalars the search's settings"
    model = from_dict(sub).forecasters[0].build()
    assert model.model.seed == 0 and model.seed == 4, "a scalar seed seeds the sampler, not the network"


@pytest.mark.parametrize(
    ("search", "match"),
    [
        ({"lr": [0.001], "epochs": 5}, r"search: epochs = 5 is neither a list of candidates nor a search setting"),
        ({"trials": 3}, r"search has no candidates: give at least one parameter as a list"),
        ({"lag": [1, 2]}, r"space names 'lag', which HarForecaster does not take"),
        ("lr", r"search must be a table of candidate lists and search settings"),
    ],
)
def test_a_bad_search_sub_table_is_named(search, match):
    from core.errors import ConfigError
    from engine.config import from_dict

    with pytest.raises(ConfigError, match=match):
        from_dict({"forecasters": [{"name": "h", "type": "har", "log": True, "search": search}]})


def test_none_means_the_default_model_and_no_search():
    from signals.har import HarForecaster

    s = SearchForecaster(model=None, space=None)
    assert isinstance(s.model, HarForecaster) and s.model.log and s.space == {}
    assert s.target == "variance" and s.name == "search-loghar"
