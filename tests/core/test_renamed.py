"""Renamed parameters and config keys: one meaning per name, old spellings still work with a warning."""

from __future__ import annotations

import pandas as pd
import pytest

from core.checks import UNSET, renamed
from core.errors import ConfigError, ParameterError, TradecastDeprecationWarning
from core.frameinfo import frame_info
from engine.config import from_dict, to_dict
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.features import feature_frame
from signals.har import HarForecaster
from signals.naive import RollingMeanForecaster, RollingVarianceForecaster
from strategies.vol_target import vol_target_weights
from tests.signals.frames import sp500


def test_renamed_takes_one_spelling_and_warns_on_the_old():
    assert renamed("f", "old", UNSET, "new", 3, 1) == 3
    with pytest.warns(TradecastDeprecationWarning, match=r"f: old= is deprecated.*write new=5"):
        assert renamed("f", "old", 5, "new", 1, 1) == 5
    with pytest.raises(ParameterError, match=r"old=5 and new=2 are the old and new spellings.*Hint: new=5"):
        renamed("f", "old", 5, "new", 2, 1)


@pytest.mark.parametrize("cls", [RollingVarianceForecaster, RollingMeanForecaster])
def test_window_of_a_rolling_forecaster_is_now_length(cls):
    frame = sp500().loc[:"2004-12-31"]
    train, dates = frame.loc[:"2003-12-31"], frame.loc["2004-01-01":].index
    with pytest.warns(TradecastDeprecationWarning, match=rf"{cls.__name__}: window= is deprecated.*length=22"):
        old = cls(window=22)
    new = cls(length=22)
    assert old.get_params() == new.get_params() and "window" not in new.get_params()
    pd.testing.assert_series_equal(old.fit(train).predict(frame, dates), new.fit(train).predict(frame, dates))
    assert "window" in cls.accepted_names() and "window" not in cls._param_names()
    with pytest.raises(ParameterError, match="old and new spellings"):
        cls(window=22, length=10)
    with pytest.raises(ParameterError, match=r"length must be an integer >= 1"):
        cls(length=0).fit(train)


def test_feature_frame_estimator_and_vol_target_weights_target_vol():
    from engine.data import load

    bars = load("embedded:sp500").loc[:"2003-12-31"]
    old_spelling = r"feature_frame: target= is deprecated.*estimator='parkinson'"
    with pytest.warns(TradecastDeprecationWarning, match=old_spelling):
        old = feature_frame(bars, target="parkinson")
    new = feature_frame(bars, estimator="parkinson")
    pd.testing.assert_frame_equal(old, new)
    assert frame_info(new).estimator == "parkinson"
    var = new["rv"].dropna().iloc[-300:]
    with pytest.warns(TradecastDeprecationWarning, match=r"vol_target_weights: target= is deprecated.*target_vol=0.15"):
        w_old = vol_target_weights(var, target=0.15)
    pd.testing.assert_series_equal(w_old, vol_target_weights(var, target_vol=0.15))
    with pytest.raises(ParameterError, match=r"target_vol must be a positive annual volatility"):
        vol_target_weights(var, target_vol=-1)


def test_walk_forward_refits_and_fold_train_rows():
    frame = sp500().loc[:"2008-12-31"]
    split = WalkForward(start="2007-01-01", refit_every="year")
    with pytest.warns(TradecastDeprecationWarning, match=r"walk_forward: warm_start= is deprecated.*refits='warm'"):
        old = walk_forward(frame, {"loghar": HarForecaster(log=True)}, split, warm_start="warm")
    new = walk_forward(frame, {"loghar": HarForecaster(log=True)}, split, refits="warm")
    pd.testing.assert_frame_equal(old.forecasts, new.forecasts)
    with pytest.raises(ParameterError, match=r"refits must be one of 'cold', 'warm'; got 'hot'"):
        walk_forward(frame, {"loghar": HarForecaster(log=True)}, split, refits="hot")
    fold = split.split(frame.index)[0]
    with pytest.warns(TradecastDeprecationWarning, match=r"Fold.n_train is deprecated.*Fold.train_rows"):
        assert fold.n_train == fold.train_rows == fold.train.stop - fold.train.start


def test_old_config_keys_are_read_with_a_warning_and_written_new():
    old_keys = r"\[features\] target is deprecated.*estimator = \"parkinson\""
    with (
        pytest.warns(TradecastDeprecationWarning, match=old_keys),
        pytest.warns(TradecastDeprecationWarning, match=r"\[walkforward\] warm_start is deprecated.*refits = \"warm\""),
    ):
        cfg = from_dict({"features": {"target": "parkinson"}, "walkforward": {"warm_start": "warm"}})
    assert cfg.features.estimator == "parkinson" and cfg.walkforward.refits == "warm"
    written = to_dict(cfg)
    assert written["features"]["estimator"] == "parkinson" and "target" not in written["features"]
    assert written["walkforward"]["refits"] == "warm" and "warm_start" not in written["walkforward"]
    with pytest.raises(ConfigError, match=r"\[features\] sets both target and estimator.*keep estimator"):
        from_dict({"features": {"target": "parkinson", "estimator": "garman_klass"}})
    with pytest.warns(TradecastDeprecationWarning, match=r"forecasters\[0\]: window is deprecated.*length = 22"):
        cfg = from_dict({"forecasters": [{"name": "r", "type": "rolling_variance", "window": 22}]})
    assert cfg.forecasters[0].build().length == 22 and to_dict(cfg)["forecasters"][0]["length"] == 22


def test_lags_of_the_lagged_regressions_is_now_n_lags():
    from signals.autoreg import ArForecaster, MlpForecaster

    frame = sp500().loc[:"2004-12-31"]
    train, dates = frame.loc[:"2003-12-31"], frame.loc["2004-01-01":].index
    with pytest.warns(TradecastDeprecationWarning, match=r"ArForecaster: lags= is deprecated.*n_lags=3"):
        old = ArForecaster(lags=3)
    new = ArForecaster(n_lags=3)
    assert old.get_params() == new.get_params() and old.name == new.name == "ar3"
    pd.testing.assert_series_equal(old.fit(train).predict(frame, dates), new.fit(train).predict(frame, dates))
    assert "lags" in MlpForecaster.accepted_names() and MlpForecaster(n_lags=4).n_lags == 4
    assert HarForecaster(lags=(1, 5)).get_params()["lags"] == (1, 5)  # lags keeps one meaning: the HAR's averages
    with pytest.raises(ParameterError, match=r"ArForecaster: n_lags must be an integer >= 1; got 0"):
        ArForecaster(n_lags=0).fit(train)
