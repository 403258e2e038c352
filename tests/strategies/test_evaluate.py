"""End to end: walk-forward forecasts on the embedded S&P 500 through both strategies,
every one compared with buy and hold on the same days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from core.evaluation.performance import performance, sharpe_difference
from core.tables import ScoredTable, Window
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from strategies.evaluate import STRATEGY_COLUMNS, common_window, strategy_table
from strategies.spec import StrategySpec
from tests.signals.frames import sp500

PLAIN = StrategySpec(regime_lookback=120, calibrate="none", smooth=1)


@pytest.fixture(scope="module")
def run():
    frame = sp500()
    res = walk_forward(
        frame, {"loghar": HarForecaster(log=True), "ewma": EwmaForecaster()}, WalkForward(start="2007-01-01")
    )
    return frame, res.for_symbol().drop(columns="fold")


def test_strategies_run_end_to_end(run):
    frame, fc = run
    table, results = strategy_table(frame["close"], fc, PLAIN, se_reps=200)
    assert list(table.index) == [
        ("loghar", "vol_target"),
        ("loghar", "regime"),
        ("ewma", "vol_target"),
        ("ewma", "regime"),
        ("buy_and_hold", "-"),
    ]
    assert list(table.columns) == list(STRATEGY_COLUMNS)
    assert table[["sharpe", "max_drawdown", "realised_vol", "turnover_per_year"]].notna().all().all()
    # 2007-2010 holds the 2008 crash: vol-targeting cuts the drawdown of buy and hold
    assert table.loc[("ewma", "vol_target"), "max_drawdown"] > table.loc[("buy_and_hold", "-"), "max_drawdown"] + 0.1
    res = results[("ewma", "vol_target")]
    # the weight aimed at for a day comes from the forecast for that day, and is the weight held then
    day = fc.index[300]
    assert res.targets.loc[day] == pytest.approx(min(0.10 / np.sqrt(252 * fc.loc[day, "ewma"]), 2.0))
    assert res.weights.loc[day] == pytest.approx(res.targets.loc[day], rel=1e-3)


def test_every_strategy_and_buy_and_hold_share_one_window(run):
    frame, fc = run
    res = strategy_table(frame["close"], fc, PLAIN, se_reps=200)
    table, results = res
    assert table is res.table and results is res.backtests, "it unpacks as (table, backtests)"
    # the regime rule has its first weight once it has 120 forecasts: that day opens the window for all
    first_regime = results[("ewma", "regime")].weights.dropna().index[0]
    assert first_regime == fc.index[119]
    days = results[("ewma", "regime")].returns.index
    assert days[0] == first_regime and res.window == Window(days[0], days[-1], len(days))
    assert res.scored() == ScoredTable(table, res.window) and res.validation is None
    for res in results.values():
        pd.testing.assert_index_equal(res.returns.index, days)
        pd.testing.assert_index_equal(res.benchmark.index, days)
        assert res.weights.dropna().index[0] == first_regime, "vol-targeting is cut to the common window too"
    # buy and hold by hand on exactly those days: the close-to-close simple returns, in excess of the T-bill
    by_hand = frame["close"].pct_change().loc[days]
    rf = _tbill_by_hand(days, frame.index[frame.index.get_loc(days[0]) - 1])
    excess = by_hand - rf
    assert table.loc[("buy_and_hold", "-"), "sharpe"] == pytest.approx(
        excess.mean() / excess.std() * np.sqrt(252), rel=1e-12
    )
    # the gap is the difference of the two Sharpe ratios on those days, with its bootstrap standard error
    r = results[("loghar", "vol_target")]
    gap, se = sharpe_difference(r.returns, by_hand, reps=200, risk_free=rf)
    assert table.loc[("loghar", "vol_target"), "sharpe_vs_bh"] == pytest.approx(gap, rel=1e-12)
    assert table.loc[("loghar", "vol_target"), "sharpe_vs_bh_se"] == pytest.approx(se, rel=1e-12)
    assert table.loc[("loghar", "vol_target"), "sharpe"] - table.loc[("buy_and_hold", "-"), "sharpe"] == pytest.approx(
        gap, rel=1e-9
    )
    assert 0.05 < se < 1.0


def _tbill_by_hand(days: pd.DatetimeIndex, before: pd.Timestamp) -> pd.Series:
    """The one-month T-bill earned each trading day since the one before (``before`` for the
    first), calendar day by calendar day, from arch's file by hand.
    """
    import calendar

    raw = pd.read_csv(
        __import__("importlib.resources").resources.files("arch.data.frenchdata") / "frenchdata.csv.gz",
        dtype={"Date": str},
    )
    monthly = dict(zip(raw["Date"], raw["RF"] / 100, strict=True))
    out, prev = [], before
    for d in days:
        growth = 1.0
        for k in range(1, (d - prev).days + 1):
            day = prev + pd.Timedelta(days=k)
            m = monthly[f"{day.year}{day.month:02d}"]
            growth *= (1 + m) ** (1 / calendar.monthrange(day.year, day.month)[1])
        out.append(growth - 1)
        prev = d
    return pd.Series(out, index=days)


def test_common_window_refuses_strategies_without_days():
    days = pd.bdate_range("2020-01-01", periods=10)
    early = pd.Series([1.0] * 4 + [np.nan] * 6, index=days)
    late = pd.Series([np.nan] * 6 + [1.0] * 4, index=days)
    assert common_window({"a": early, "b": early.shift(1)}) == (days[1], days[3])
    with pytest.raises(
        ParameterError,
        match=r"the strategies share no trading days \(the last starts 2020-01-09, the first ends 2020-01-06\)",
    ):
        common_window({"a": early, "b": late})
    with pytest.raises(
        ParameterError, match=r"strategy b has no weight on any day.*Hint: a longer out-of-sample period"
    ):
        common_window({"a": early, "b": early * np.nan})


def test_smooth_reaches_vol_targeting_and_not_the_regime_rule(run):
    frame, fc = run
    plain, plain_res = strategy_table(frame["close"], fc, PLAIN, se_reps=50)
    smooth, smooth_res = strategy_table(
        frame["close"], fc, StrategySpec(regime_lookback=120, calibrate="none", smooth=10), se_reps=50
    )
    day = fc.index[300]
    mean10 = fc["ewma"].iloc[291:301].mean()  # the forecast for the day held and the nine before it
    assert smooth_res[("ewma", "vol_target")].targets.loc[day] == pytest.approx(min(0.10 / np.sqrt(252 * mean10), 2.0))
    assert (
        smooth.loc[("ewma", "vol_target"), "turnover_per_year"] < plain.loc[("ewma", "vol_target"), "turnover_per_year"]
    )
    pd.testing.assert_series_equal(smooth_res[("ewma", "regime")].weights, plain_res[("ewma", "regime")].weights)


# --------------------------------------------------------------------------- threshold strategies

from strategies.evaluate import THRESHOLD_COLUMNS, threshold_table  # noqa: E402
from strategies.spec import ThresholdSpec  # noqa: E402
from strategies.threshold import threshold_weights  # noqa: E402
from strategies.vol_target import vol_target_weights  # noqa: E402


@pytest.fixture(scope="module")
def signals():
    frame = sp500()
    days = frame.loc["2007-01-01":].index
    rng = np.random.default_rng(5)
    fc = pd.DataFrame({"a": rng.normal(0.0002, 0.001, len(days)), "b": rng.normal(0.0, 0.001, len(days))}, index=days)
    var = pd.Series(1e-4 * np.exp(rng.normal(0, 0.3, len(days))), index=days)
    return frame, fc, var


def test_fixed_thresholds_are_the_rule_by_hand_on_one_window(signals):
    frame, fc, _ = signals
    spec = StrategySpec(threshold=ThresholdSpec(upper=0.0005, short=False))
    table, results = threshold_table(frame["close"], fc, spec, se_reps=100)
    assert list(table.columns) == list(THRESHOLD_COLUMNS) and list(table.index) == ["a", "b", "buy_and_hold"]
    by_hand = threshold_weights(fc["a"], upper=0.0005, short=False)
    pd.testing.assert_series_equal(results["a"].targets.dropna(), by_hand.rename("a/threshold"), check_names=False)
    # a unit weight is held at 1 less the fee paid on the way in
    held = results["a"].weights[results["a"].targets == 1.0]
    assert ((held > 0.999) & (held < 1.0 + 1e-9)).all()
    days = results["a"].returns.index
    pd.testing.assert_index_equal(results["b"].returns.index, days)
    bh = frame["close"].pct_change().loc[days]
    rf = results["a"].risk_free
    assert table.loc["buy_and_hold", "sharpe"] == pytest.approx(performance(bh, rf)["sharpe"], rel=1e-12)
    gap, _ = sharpe_difference(results["a"].returns, bh, reps=100, risk_free=rf)
    assert table.loc["a", "sharpe_vs_bh"] == pytest.approx(gap, rel=1e-12)
    assert table.loc["a", "upper"] == 0.0005 and table.loc["a", "lower"] == -0.0005 and table.loc["a", "n_trials"] == 1


def test_grid_thresholds_are_chosen_before_the_days_they_are_scored_on(signals):
    frame, fc, _ = signals
    th = ThresholdSpec(choose="grid", uppers=(0.0, 0.0005, 0.001, 0.0015), validation_end="2008-12-31")
    res = threshold_table(frame["close"], fc, StrategySpec(threshold=th), se_reps=100)
    table = res.table
    assert res.window.first > pd.Timestamp("2008-12-31"), "scored after the validation window only"
    # every threshold of every model is a trial of one search: 2 models x 4 values
    assert (table.loc[["a", "b"], "n_trials"] == 8).all() and table.loc[["a", "b"], "validation_dsr"].between(
        0, 1
    ).all()
    assert res.validation.last <= pd.Timestamp("2008-12-31") < res.window.first
    assert res.validation.days == len(fc.loc[res.validation.first : res.validation.last].dropna(how="all"))
    # what happens after validation_end cannot change the choice
    later = fc.copy()
    later.loc["2009-01-01":] *= -1
    again, _ = threshold_table(frame["close"], later, StrategySpec(threshold=th), se_reps=100)
    pd.testing.assert_series_equal(again["upper"], table["upper"])
    assert again.loc["a", "sharpe"] != pytest.approx(table.loc["a", "sharpe"])
    # the chosen value is the validation grid's best Sharpe ratio, by hand
    from strategies.grid import run_grid

    valid = fc["a"].loc[:"2008-12-31"]
    grid = run_grid(
        frame["close"],
        {"upper": list(th.uppers)},
        lambda upper: threshold_weights(valid, upper=upper),
        risk_free="tbill",
        borrow_spread=0.01,
    )
    assert table.loc["a", "upper"] == grid.best[0]


def test_vol_target_sizing_and_zscores(signals):
    frame, fc, var = signals
    th = ThresholdSpec(size="vol_target", units="zscore", upper=0.05, variance_model="v")
    _table, results = threshold_table(
        frame["close"], fc, StrategySpec(threshold=th, risk_free=0.02), variance_forecast=var, se_reps=100
    )
    direction = threshold_weights(fc["a"], upper=0.05, units="zscore", variance_forecast=var)
    size = vol_target_weights(var)  # the spec's defaults: 10 %, cap 2, smoothed over 10 forecasts
    expected = (direction * size.reindex(direction.index)).dropna()
    got = results["a"].targets.dropna()
    np.testing.assert_allclose(got.to_numpy(), expected.loc[got.index].to_numpy(), rtol=1e-12)
    with pytest.raises(
        ParameterError, match=r"threshold_table: units='zscore', size='vol_target' need variance_forecast"
    ):
        threshold_table(frame["close"], fc, StrategySpec(threshold=th))


def test_threshold_spec_refuses_what_it_cannot_trade():
    with pytest.raises(ParameterError, match=r"strategy.threshold.lower must be at most upper=0.001; got 0.002"):
        ThresholdSpec(upper=0.001, lower=0.002)
    with pytest.raises(
        ParameterError, match=r"choose = \"grid\" needs validation_end.*Hint: validation_end = \"2010-12-31\""
    ):
        ThresholdSpec(choose="grid")
    with pytest.raises(ParameterError, match=r"units = 'zscore' and size = 'unit' need variance_model"):
        ThresholdSpec(units="zscore")
    with pytest.raises(ParameterError, match=r"validation_end must be an ISO date such as '2010-12-31'; got 'soon'"):
        ThresholdSpec(choose="grid", validation_end="soon")
