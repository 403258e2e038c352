"""The forecaster contract: labels, origins, targets, parameters, causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from signals.audit import CausalityError, check_causality
from signals.autoreg import ArForecaster, MlpForecaster
from signals.base import BaseForecaster, Forecaster, NotFittedError, ParameterError, realized_target
from signals.batched import BatchedRnnEnsemble, BatchedRnnUniverse, default_net
from signals.ensemble import EnsembleForecaster
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from signals.hybrid import HybridForecaster
from signals.naive import (
    EwmaForecaster,
    HistoricalMeanForecaster,
    RollingMeanForecaster,
    RollingVarianceForecaster,
    ZeroForecaster,
)
from signals.rnn import RnnForecaster
from signals.search import SearchForecaster
from tests.signals.frames import sp500

TINY_RNN = dict(hidden=(8,), seq_len=10, epochs=2, batch_size=128)

TINY_GROUPED = dict(hidden=(4,), seq_len=10, epochs=2, batch_size=128)

#: At least one cheap instance of every registered type (a test keeps this in step
#: with signals.registry.FORECASTERS): the contract and causality tests below run
#: on every forecaster a config can name.
BY_TYPE = {
    "garch": [
        GarchForecaster(),
        GarchForecaster(kind="gjr", dist="t", horizon=5),
        GarchForecaster(kind="egarch", horizon=5, simulations=200),
    ],
    "har": [HarForecaster(), HarForecaster(log=True, horizon=22)],
    "harx": [HarxForecaster(), HarxForecaster(log=False, horizon=5)],
    "ewma": [EwmaForecaster(), EwmaForecaster(source="rv", horizon=5)],
    "rolling_variance": [RollingVarianceForecaster(), RollingVarianceForecaster(length=None)],
    "zero": [ZeroForecaster()],
    "rolling_mean": [RollingMeanForecaster(target="price")],
    "historical_mean": [HistoricalMeanForecaster(), HistoricalMeanForecaster(target="absolute_return", horizon=5)],
    "ar": [ArForecaster(n_lags=3, horizon=5), ArForecaster(target="price"), ArForecaster(target="absolute_return")],
    "mlp": [MlpForecaster(hidden=(4,), n_lags=3, max_iter=20)],
    "rnn": [
        RnnForecaster(**TINY_RNN),
        RnnForecaster(cell="gru", attention=True, horizon=5, **TINY_RNN),
        RnnForecaster(target="return", **TINY_RNN),
        RnnForecaster(target="absolute_return", features=("return", "abs_return"), **TINY_RNN),
    ],
    "rnn_ensemble": [BatchedRnnEnsemble(net=default_net().set_params(**TINY_GROUPED), seeds=(0, 1))],
    "rnn_universe": [BatchedRnnUniverse(net=default_net().set_params(**TINY_GROUPED))],
    "search": [
        SearchForecaster(),
        SearchForecaster(model=HarForecaster(horizon=5), space={"log": [True, False]}, trials=2, validation=100),
    ],
    "hybrid": [
        HybridForecaster(net=RnnForecaster(**TINY_RNN), base_length=300),
        HybridForecaster(
            net=RnnForecaster(cell="gru", horizon=5, **TINY_RNN),
            base=HarxForecaster(horizon=5),
            seeds=(0, 1),
            base_input=False,
        ),
    ],
}
ALL = [m for models in BY_TYPE.values() for m in models]


def test_every_registered_forecaster_is_under_test():
    from signals.registry import FORECASTERS

    assert set(BY_TYPE) == set(FORECASTERS), "add a cheap instance of each new type to BY_TYPE"
    for name, models in BY_TYPE.items():
        assert all(type(m) is FORECASTERS[name] for m in models), name


@pytest.fixture(scope="module")
def frame():
    return sp500()


@pytest.mark.parametrize("model", ALL, ids=repr)
def test_every_forecaster_is_causal(frame, model):
    import warnings

    train = frame.loc[:"2006-12-31"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny networks do not converge; causality is what is tested
        fitted = model.clone().fit(train)
    assert isinstance(fitted, Forecaster)
    index = frame.loc["2007-01-01":"2008-12-31"].index
    cuts = pd.DatetimeIndex(np.random.default_rng(0).choice(index, 3, replace=False)).sort_values()
    cuts = cuts.append(index[:1])  # the first test day: the cut right after training
    assert check_causality(fitted, frame, index, cuts) > 0


class Leaky(BaseForecaster):
    """Forecasts tomorrow's variance with tomorrow's rv: the bug the check exists for."""

    def __init__(self, *, horizon: int = 1) -> None:
        self.horizon = horizon

    def _columns(self):
        return ["rv"]

    def _fit(self, frame, y, warm_start=None):
        pass

    def _forecast(self, frame, origins):
        rv = frame["rv"].to_numpy()
        nxt = np.minimum(origins + 1, len(rv) - 1)
        return rv[nxt]


def test_the_contract_is_abstract():
    class Half(BaseForecaster):
        def _columns(self):
            return ["rv"]

    with pytest.raises(TypeError, match=r"Can't instantiate abstract class Half"):
        Half()
    # the fitted attributes the engine reads are declared on the class, with their "not applicable" value
    assert (
        BaseForecaster.converged_,
        BaseForecaster.best_epoch_,
        BaseForecaster.history_,
        BaseForecaster.attention_weights_,
    ) == (None,) * 4


def test_a_leaky_forecaster_is_caught(frame):
    leaky = Leaky().fit(frame.loc[:"2006-12-31"])
    index = frame.loc["2007-01-01":"2007-12-31"].index
    with pytest.raises(
        CausalityError,
        match=r"leaky: the forecast for 2007-0\d-\d\d changed .* when rows on or after 2007-0\d-\d\d were "
        r"(deleted|changed)",
    ):
        check_causality(leaky, frame, index, [index[100]])


def test_forecasts_are_labelled_by_the_date_they_forecast(frame):
    m = EwmaForecaster(source="rv", lam=0.5).fit(frame)
    day = pd.Timestamp("2008-10-10")
    # made at the close of the previous trading day: rv of that day enters, the day's own does not
    prev = frame.index[frame.index.get_loc(day) - 1]
    before = m.predict(frame, pd.DatetimeIndex([prev])).iloc[0]
    want = 0.5 * before + 0.5 * frame.loc[prev, "rv"]
    got = m.predict(frame, pd.DatetimeIndex([day]))
    assert got.index[0] == day and got.iloc[0] == pytest.approx(want)
    # a weekend date is forecast from the Friday close, like the next Monday
    sat = m.predict(frame, pd.DatetimeIndex(["2008-10-11"])).iloc[0]
    mon = m.predict(frame, pd.DatetimeIndex(["2008-10-13"])).iloc[0]
    assert sat == mon


def test_realized_target_windows():
    idx = pd.bdate_range("2020-01-01", periods=5)
    f = pd.DataFrame(
        {"rv": [1.0, 2.0, 3.0, 4.0, 5.0], "return": [0.1, 0.2, 0.3, 0.4, 0.5], "close": [10.0, 11, 12, 13, 14]},
        index=idx,
    )
    np.testing.assert_allclose(realized_target(f, "variance", 2).to_numpy(), [1.5, 2.5, 3.5, 4.5, np.nan])
    np.testing.assert_allclose(realized_target(f, "return", 3).to_numpy(), [0.6, 0.9, 1.2, np.nan, np.nan])
    np.testing.assert_allclose(realized_target(f, "price", 2).to_numpy(), [11, 12, 13, 14, np.nan])


def test_parameters_clone_and_repr():
    m = HarForecaster(log=True, horizon=5)
    assert m.get_params() == {"lags": (1, 5, 22), "log": True, "retransform": "ratio", "horizon": 5}
    c = m.clone()
    assert c is not m and c.get_params() == m.get_params() and not hasattr(c, "coef_")
    assert repr(m) == "HarForecaster(log=True, horizon=5)"
    with pytest.raises(
        ParameterError, match=r"HarForecaster has no parameter 'lag'; valid: lags, log, retransform, horizon"
    ):
        m.set_params(lag=3)


def test_predict_before_fit_and_too_early_dates(frame):
    with pytest.raises(NotFittedError, match=r"HarForecaster is not fitted yet; call fit\(frame\) first"):
        HarForecaster().predict(frame, frame.index[-5:])
    m = HarForecaster().fit(frame)
    with pytest.raises(DataError, match=r"no row of the frame lies before 2003-01-02"):
        m.predict(frame, frame.index[:3])


def test_missing_columns_are_named(frame):
    with pytest.raises(DataError, match=r"GarchForecaster: the frame lacks column\(s\) return"):
        GarchForecaster().fit(frame.drop(columns="return"))


def test_ensemble_is_the_mean_of_its_members(frame):
    members = [HarForecaster(), HarForecaster(log=True), EwmaForecaster(source="rv")]
    train, dates = frame.loc[:"2006-12-31"], frame.loc["2007-01-01":].index
    ens = EnsembleForecaster(members=members).fit(train)
    by_hand = np.mean([m.clone().fit(train).predict(frame, dates).to_numpy() for m in members], axis=0)
    np.testing.assert_allclose(ens.predict(frame, dates).to_numpy(), by_hand, rtol=1e-12)
    assert check_causality(ens, frame, dates[:300], [dates[150]]) > 0
    with pytest.raises(ParameterError, match=r"members must share target and horizon"):
        EnsembleForecaster(members=[HarForecaster(), HarForecaster(horizon=5)]).fit(train)


@pytest.mark.parametrize(
    ("model", "measures"),
    [
        (HarForecaster(), "target"),
        (RnnForecaster(), "target"),
        (GarchForecaster(), "returns"),
        (EwmaForecaster(), "returns"),
        (EwmaForecaster(source="rv"), "target"),
        (RollingVarianceForecaster(source="rv"), "target"),
        (EnsembleForecaster(members=[HarForecaster(), HarForecaster(log=True)]), "target"),
        (EnsembleForecaster(members=[HarForecaster(), GarchForecaster()]), "mixed"),
    ],
)
def test_variance_of_says_what_a_forecast_measures(model, measures):
    # vol-targeting rescales forecasts of the rv proxy, not of return variance
    assert model.variance_of == measures
