"""The job's stages: leaderboards by (target, horizon), one set of strategy defaults,
failed runs, smearing flags and the audit line.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.evaluation.losses import qlike
from core.frameinfo import frame_info, set_info
from engine import store
from engine.config import RunConfig, StrategyConfig, from_dict
from engine.job import run_job
from engine.scoring import SMEARING_RANGE, baselines, leaderboards, trade_forecasts
from engine.splits import WalkForward
from engine.terminal import audit_line
from engine.walkforward import walk_forward
from reports.metrics import model_confidence_set, per_date_losses
from signals.base import realized_target
from signals.har import HarForecaster
from signals.naive import EwmaForecaster, ZeroForecaster
from strategies.spec import DEFAULT_SPEC, StrategySpec
from tests.signals.frames import sp500

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mixed():
    frame = sp500()
    models = {
        "loghar": HarForecaster(log=True),
        "ewma": EwmaForecaster(),
        "har5": HarForecaster(horizon=5),
        "zero": ZeroForecaster(target="return"),
    }
    return frame, walk_forward(frame, models, WalkForward(start="2009-01-01"), audit=True)


def test_each_model_is_scored_against_its_own_horizon(mixed):
    frame, res = mixed
    board = leaderboards(res)["SP500"]
    assert list(zip(board["target"], board["horizon"], strict=True)) == [("variance", 1)] * 2 + [
        ("variance", 5),
        ("return", 1),
    ]
    # the 5-day model against the mean realised variance of the next five days, by hand
    fc = res.for_symbol()["har5"]
    y5 = realized_target(frame, "variance", 5).reindex(fc.index)
    ok = fc.notna() & y5.notna()
    assert board.loc["har5", "qlike"] == pytest.approx(qlike(y5[ok].to_numpy(), fc[ok].to_numpy()), rel=1e-12)
    # the terminal and report agree with the API's score()
    assert board.loc["har5", "qlike"] == pytest.approx(res.score().loc[("SP500", "har5"), "qlike"], rel=1e-12)
    assert board.loc["har5", "qlike"] != pytest.approx(
        qlike(*_pair(realized_target(frame, "variance", 1), fc)), rel=1e-3
    )
    # no baseline in its group: no ratio and no DM test against a 1-day model
    assert np.isnan(board.loc["har5", "qlike_vs_loghar"]) and np.isnan(board.loc["har5", "dm_pvalue"])
    # the model confidence set of the 1-day group holds the 1-day models only
    y1 = realized_target(frame, "variance", 1)
    alone = model_confidence_set(per_date_losses(res.for_symbol()[["loghar", "ewma"]], y1))
    np.testing.assert_allclose(board.loc[["loghar", "ewma"], "mcs_pvalue"], alone.loc[["loghar", "ewma"]], rtol=1e-12)
    # a return model gets its own table, sorted by MSE, not a crash (KeyError 'mse' before)
    assert board.loc["zero", "mse"] == pytest.approx(
        float((realized_target(frame, "return").reindex(fc.index) ** 2).mean()), rel=1e-12
    )


def _pair(y, f):
    y = y.reindex(f.index)
    ok = y.notna() & f.notna()
    return y[ok].to_numpy(), f[ok].to_numpy()


def test_one_set_of_strategy_defaults():
    assert StrategyConfig is StrategySpec and RunConfig().strategy == DEFAULT_SPEC == StrategySpec()
    assert from_dict({"strategy": {"smooth": 5}}).strategy == StrategySpec(smooth=5)


@pytest.mark.slow
def test_readme_example_trades_like_the_cli():
    spec = importlib.util.spec_from_file_location("example", ROOT / "examples" / "walk_forward_backtest.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result, table = example.main(quick=True)
    cli_tables, _ = trade_forecasts(RunConfig().strategy, result)  # what tradecast run does with the same forecasts
    pd.testing.assert_frame_equal(table, cli_tables[result.symbols[0]].table)
    assert table.loc[("lstm", "vol_target"), "realised_vol"] == pytest.approx(0.10, abs=0.015), (
        "the example meets its 10 % target"
    )


def test_a_failed_run_says_failed(tmp_path, monkeypatch):
    config = from_dict(
        {"name": "x", "walkforward": {"start": "2016-01-01"}, "forecasters": [{"name": "ewma", "type": "ewma"}]}
    )

    def boom(*args, **kwargs):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr("engine.job.forecast", boom)
    with pytest.raises(RuntimeError):
        run_job(config, tmp_path / "run", echo=lambda *_: None)
    manifest = store.read_json(tmp_path / "run" / "manifest.json")
    assert manifest["status"] == "failed" and manifest["error"] == "RuntimeError: the disk caught fire"
    assert "data_and_features" in manifest["timings"] and manifest["failed"]


def _past_the_check(*args, **kwargs):
    """A stand-in for the walk-forward: a run that reaches it passed the checks before it."""
    raise RuntimeError("past the check")


def test_a_regime_lookback_the_out_of_sample_days_cannot_fill_is_refused_before_any_fit(tmp_path, monkeypatch):
    from core.errors import ParameterError
    from engine.stages import prepare
    from strategies.evaluate import strategy_table

    config = from_dict(
        {
            "name": "x",
            "walkforward": {"start": "2018-06-01"},
            "strategy": {"regime_lookback": 147},
            "forecasters": [{"name": "ewma", "type": "ewma"}],
        }
    )
    # the rule's own boundary, on the job's data: 147 forecasts trade with a lookback of 146, not with 147
    frame = prepare(config).features["SP500"]
    result = walk_forward(frame, {"ewma": EwmaForecaster()}, WalkForward(start="2018-06-01"))
    fc = result.for_symbol(result.symbols[0])[["ewma"]]
    assert len(fc) == 147
    table = strategy_table(frame["close"], fc, StrategySpec(regime_lookback=146), proxy=frame["rv"]).table
    assert table.loc[("ewma", "regime"), "turnover_per_year"] >= 0 and len(table) == 3
    with pytest.raises(ParameterError, match="share no trading days"):
        strategy_table(frame["close"], fc, StrategySpec(regime_lookback=147), proxy=frame["rv"])
    # the job says so before the walk-forward, which used to run in full first
    fitted = []
    monkeypatch.setattr("engine.job.forecast", lambda *a, **k: fitted.append(1))
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "strategy.regime_lookback = 147 needs at least 148 out-of-sample days a symbol (the regime rule decides a "
            "weight once it has a window of 147 forecasts, and the strategies need two days with a weight); SP500 "
            "has 147 "
            "(2018-06-01 to 2018-12-31). Hint: strategy.regime_lookback = 146 or less, or an earlier "
            "walkforward.start; nothing was fitted."
        ),
    ):
        run_job(config, tmp_path / "run", echo=lambda *_: None)
    assert not fitted

    # one day fewer passes the check: the walk-forward is reached (and stopped there)
    monkeypatch.setattr("engine.job.forecast", _past_the_check)
    ok = dataclasses.replace(config, strategy=dataclasses.replace(config.strategy, regime_lookback=146))
    with pytest.raises(RuntimeError, match="past the check"):
        run_job(ok, tmp_path / "ok", echo=lambda *_: None)
    # a run without a variance model trades no regime strategy: nothing to refuse
    returns_only = from_dict(
        {
            "name": "r",
            "walkforward": {"start": "2018-06-01"},
            "strategy": {"regime_lookback": 147},
            "forecasters": [{"name": "zero", "type": "zero"}],
        }
    )
    with pytest.raises(RuntimeError, match="past the check"):
        run_job(returns_only, tmp_path / "r", echo=lambda *_: None)


def test_a_threshold_grid_without_44_days_on_each_side_is_refused_before_any_fit(tmp_path, monkeypatch):
    from core.errors import ParameterError
    from engine.stages import prepare
    from signals.naive import HistoricalMeanForecaster
    from strategies.evaluate import MIN_THRESHOLD_DAYS, threshold_table

    def config(validation_end: str):
        grid = {"choose": "grid", "uppers": [0.0, 0.001], "validation_end": validation_end}
        return from_dict(
            {
                "name": "t",
                "walkforward": {"start": "2018-01-01"},
                "strategy": {"threshold": grid},
                "forecasters": [{"name": "mean", "type": "historical_mean"}],
            }
        )

    # the rule's own boundary, on the job's data: 44 forecasts to choose on pass, 43 do not
    frame = prepare(config("2018-06-29")).features["SP500"]
    result = walk_forward(frame, {"mean": HistoricalMeanForecaster()}, WalkForward(start="2018-01-01"))
    fc = result.for_symbol(result.symbols[0])[["mean"]]
    last_ok, first_short = fc.index[MIN_THRESHOLD_DAYS - 1], fc.index[MIN_THRESHOLD_DAYS - 2]
    passes, short = (config(str(d.date())).strategy for d in (last_ok, first_short))
    assert threshold_table(frame["close"], fc, passes).table.loc["mean", "n_trials"] == 2
    with pytest.raises(ParameterError, match=f"leaves {MIN_THRESHOLD_DAYS - 1} forecasts of mean to choose on"):
        threshold_table(frame["close"], fc, short)

    # the job says so before the walk-forward
    monkeypatch.setattr("engine.job.forecast", _past_the_check)
    with pytest.raises(
        ConfigError,
        match=re.escape(
            f"strategy.threshold.validation_end = '{first_short.date()}' leaves SP500 43 out-of-sample days to choose "
            f"the thresholds on and {len(fc) - 43} to score them (2018-01-02 to 2018-12-31); each side needs 44. "
            "Hint: a validation_end a few months after walkforward.start and before the data ends; nothing was "
            "fitted."
        ),
    ):
        run_job(config(str(first_short.date())), tmp_path / "short", echo=lambda *_: None)
    with pytest.raises(RuntimeError, match="past the check"):
        run_job(config(str(last_ok.date())), tmp_path / "ok", echo=lambda *_: None)
    with pytest.raises(ConfigError, match=r"leaves SP500 \d+ out-of-sample days to choose the thresholds on and 0 to"):
        run_job(config("2019-06-30"), tmp_path / "late", echo=lambda *_: None)


def test_flags_say_how_far_a_log_models_factor_and_a_models_level_lie_off(mixed):
    _, res = mixed
    board = leaderboards(res)["SP500"]
    low, high = SMEARING_RANGE["default"]
    assert low <= board.loc["loghar", "smearing"] <= high and board.loc["loghar", "flag"] == ""
    assert np.isnan(board.loc["ewma", "smearing"]) and 0.5 < board.loc["ewma", "level"] < 2.0
    # the leaderboard's baseline is the run's strongest econometric model (here log-HAR at one day)
    assert baselines(res) == {1: "loghar", 5: "har5"} and "qlike_vs_loghar" in board.columns

    def flag(smearing: float, estimator: str = "garman_klass") -> str:
        fits = res.fits.copy()
        fits.loc[("SP500", "loghar", 1), "smearing"] = smearing
        frames = {"SP500": res.frames["SP500"].copy()}
        set_info(frames["SP500"], dataclasses.replace(frame_info(frames["SP500"]), estimator=estimator))
        return leaderboards(dataclasses.replace(res, fits=fits, frames=frames))["SP500"].loc["loghar", "flag"]

    assert flag(3935.0).startswith(
        "warning: smearing factor 3.94e+03, far above the usual 1-2.5 for a garman_klass target"
    )
    assert flag(3.2).startswith("note: smearing factor 3.2, above the usual 1-2.5 for a garman_klass target")
    # about 3.6 is what squared close-to-close returns give: no flag; 36 is not
    assert flag(3.6, "close_to_close") == "" and flag(36.0, "close_to_close").startswith("warning:")
    # a model whose forecasts average 5 times the realised variance
    scaled = res.forecasts.copy()
    scaled["loghar"] *= 5.0
    board = leaderboards(dataclasses.replace(res, forecasts=scaled))["SP500"]
    level = leaderboards(res)["SP500"].loc["loghar", "level"]
    assert 0.8 < level < 1.25 and board.loc["loghar", "level"] == pytest.approx(5 * level)
    assert board.loc["loghar", "flag"].startswith(f"warning: forecasts average {5 * level:.2g} times the realised")
    # EWMA models close-to-close returns, above the range target by design: no level flag
    assert board.loc["ewma", "level"] > 1.2 and board.loc["ewma", "flag"] == ""


def test_the_audit_says_what_it_checked(mixed):
    _, res = mixed
    assert (res.fits["audited"] == 2).all()
    assert audit_line(res) == (
        f"passed: {len(res.fits)} of {len(res.fits)} (symbol, model, fold) tasks were re-forecast from data cut "
        f"at {2 * len(res.fits)} random dates inside their folds, and no earlier forecast moved"
    )
    unaudited = res.fits.copy()
    unaudited.loc[("SP500", "ewma", 0), "audited"] = 0
    line = audit_line(type(res)(**{**res.__dict__, "fits": unaudited}))
    assert line.endswith("1 were read from finished folds of an unaudited run and not checked")


@pytest.mark.slow
def test_the_returns_config_runs_end_to_end_small(tmp_path, capsys):
    """configs/sp500_returns.toml, shrunk: every model of it, fewer years and epochs."""
    import json
    import tomllib

    from engine.cli import main
    from engine.store import to_toml

    mapping = tomllib.loads((ROOT / "configs" / "sp500_returns.toml").read_text())
    mapping["walkforward"].update(start="2015-01-01", n_jobs=1)
    mapping["strategy"]["threshold"]["validation_end"] = "2015-12-31"
    for f in mapping["forecasters"]:
        if f["type"] == "rnn":
            f.update(hidden=[8, 4], epochs=2, seq_len=10)
    cfg = tmp_path / "returns.toml"
    cfg.write_text(to_toml(mapping))
    assert main(["run", str(cfg), "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "return forecasts (r2_vs_zero, r2_vs_mean" in out and "threshold strategies on SP500" in out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    returns = {r["model"] for r in metrics["leaderboard"] if r["target"] == "return"}
    assert returns == {"zero", "historical_mean", "ar5", "mlp", "lstm", "gru"}
    traded = {r["model"]: r for r in metrics["threshold_strategies"]}
    assert set(traded) == returns | {"buy_and_hold"}
    assert metrics["threshold_windows"]["SP500"][0] > "2015-12-31", (
        "thresholds are scored after their validation window"
    )
    assert all(traded[m]["n_trials"] == 4 * len(returns) for m in returns)  # every model's thresholds: one search
    text = (tmp_path / "run" / "report.html").read_text()
    section = text[text.index('<section id="returns">') : text.index('<section id="tearsheets">')]
    assert "r2_vs_mean" in section and "Threshold strategies" in section and "Goyal and Welch" in section
    assert (
        "validation_dsr" in section
        and "It speaks of the validation window" in section
        and 'title="' in text[text.index('<section id="tearsheets">') :]
    )
    # the headline never calls an insignificant R² a win
    found = text[text.index("What this run found") : text.index("</ul>", text.index("What this run found"))]
    assert re.search(
        r"(no|a) return forecaster beats the zero forecast out of sample at 5 %: best \w+, R² [+-][\d.]+ \(Diebold",
        found,
    )
    verdict_ok = ("a return forecaster beats" in found) == bool(
        re.search(r"p = [\d.e-]+, significant at 5 %", found.split("return forecaster")[1])
    )
    assert verdict_ok


def test_risk_tables_take_only_one_day_variance_models_and_equal_a_direct_call(mixed):
    from engine.scoring import risk_tables
    from reports.tail_tests import risk_table

    frame, res = mixed
    config = from_dict({"risk": {"levels": [0.05], "methods": ["normal", "fhs"], "min_history": 100}})
    base = baselines(res)
    out = risk_tables(config, res, base)
    scored, tails = out["SP500"]
    assert set(tails) == {"loghar", "ewma"}, "the 5-day model and the return model have no one-day VaR"
    direct, _ = risk_table(
        frame["close"],
        res.for_symbol()[["loghar", "ewma"]],
        proxy=frame["rv"],
        variance_of=res.variance_of(),
        levels=(0.05,),
        methods=("normal", "fhs"),
        min_history=100,
        baseline=base[1],
    )
    assert scored.window == direct.window and scored.window.days == int(direct.table["n"].iloc[0])
    pd.testing.assert_frame_equal(scored.table, direct.table)
    table = scored.table
    assert list(table.index.get_level_values("method").unique()) == ["normal", "fhs"]
    assert risk_tables(from_dict({"risk": {"methods": []}}), res, base) == {}


def test_the_job_writes_risk_backtests_to_metrics_terminal_and_report(tmp_path):
    config = from_dict(
        {
            "name": "risk",
            "walkforward": {"start": "2015-01-01"},
            "strategy": {"regime_lookback": 60},
            "risk": {"levels": [0.01, 0.05], "min_history": 100},
            "forecasters": [{"name": "loghar", "type": "har", "log": True}, {"name": "ewma", "type": "ewma"}],
        }
    )
    lines: list[str] = []
    report = run_job(config, tmp_path / "run", tearsheets=False, progress=False, echo=lines.append)
    out = "\n".join(lines)
    assert "Value-at-Risk on SP500: one-day VaR and ES" in out and "fhs 1%" in out
    rows = pd.DataFrame(store.read_json(tmp_path / "run" / "metrics.json")["risk"])
    assert len(rows) == 2 * 3 * 2  # models x methods x levels
    assert set(rows.columns) >= {"kupiec_p", "cc_p", "es_p", "tick_loss", "tick_vs_loghar", "dm_p"}
    assert rows["n"].nunique() == 1, "every model and method on the same days"
    page = report.read_text()
    assert 'id="risk"' in page and "Value-at-Risk and expected shortfall" in page
    assert "violations in red" in page


def test_intraday_bars_run_from_a_config(tmp_path):
    from engine.stages import prepare
    from signals.intraday import realized_measures
    from tests.signals.test_intraday import simulate

    intraday, _, _ = simulate(160, seed=4, gap=0.004)
    intraday.index.name = "timestamp"
    path = tmp_path / "one_minute.csv"
    intraday.to_csv(path)
    mapping = {
        "data": {"source": f"csv:{path}", "vix": "", "intraday": True, "every": "5min"},
        "features": {"estimator": "realized", "har_lags": [1, 5]},
    }
    prepared = prepare(from_dict(mapping))
    (frame,) = prepared.features.values()
    want = realized_measures(intraday, every="5min")
    np.testing.assert_allclose(frame["rv"], want["realized"].reindex(frame.index), rtol=1e-12)
    # the grid and the overnight rule are the config's
    coarse = prepare(from_dict({**mapping, "data": {**mapping["data"], "every": "15min", "intraday_overnight": "add"}}))
    want15 = realized_measures(intraday, every="15min", overnight="add")
    (frame15,) = coarse.features.values()
    np.testing.assert_allclose(frame15["rv"], want15["realized"].reindex(frame15.index), rtol=1e-12)
    with pytest.raises(ConfigError, match=r'data.every must be a pandas frequency such as "5min".*got .five.'):
        from_dict({"data": {"every": "five"}})
    with pytest.raises(ConfigError, match=r"intraday bars with \[data\] intraday = true"):
        prepare(from_dict({"data": {"start": "2018-01-01", "vix": ""}, "features": {"estimator": "realized"}}))


def test_a_searched_model_runs_from_a_config_and_the_report_shows_its_choices(tmp_path):
    config = from_dict(
        {
            "name": "search",
            "walkforward": {"start": "2016-01-01"},
            "strategy": {"regime_lookback": 60},
            "risk": {"methods": []},
            "forecasters": [
                {"name": "loghar", "type": "har", "log": True},
                {
                    "name": "harx_tuned",
                    "type": "search",
                    "model": {"type": "harx"},
                    "space": {"lags": [[1, 5, 22], [1, 5]], "leverage": [True, False]},
                    "trials": 3,
                },
            ],
        }
    )
    report = run_job(config, tmp_path / "run", tearsheets=False, progress=False, echo=lambda *_: None)
    fits = pd.read_parquet(tmp_path / "run" / "fits.parquet")
    tuned = fits[fits["model"] == "harx_tuned"]
    assert len(tuned) == 3 and tuned["search_val_loss"].notna().all()  # one search per yearly fold
    page = report.read_text()
    section = page[page.index("Hyperparameters chosen in each fold") :]
    assert "harx_tuned" in section[:5000] and "val_loss" in section[:5000]


def test_the_job_splits_the_dates_once_and_prints_its_counts_from_the_plan(tmp_path, monkeypatch, capsys):
    # the index was split three times a run before (twice only to print fold counts)
    from engine import splits

    calls = []
    split = splits.WalkForward.split
    monkeypatch.setattr(splits.WalkForward, "split", lambda self, index: calls.append(self) or split(self, index))
    cfg = from_dict(
        {
            "data": {"start": "2012-01-01", "end": "2016-12-31"},
            "walkforward": {"start": "2015-01-01", "refit_every": "quarter"},
            "forecasters": [
                {"name": "ewma", "type": "ewma"},
                {"name": "har_monthly", "type": "har", "schedule": {"refit_every": "month"}},
            ],
        }
    )
    run_job(cfg, tmp_path / "run", tearsheets=False, progress=False)
    assert len(calls) == 2, "the shared folds and the monthly model's own, each split once"
    out = capsys.readouterr().out
    assert "walk-forward: 2 models x 8 folds" in out and "(32 fits in all)" in out


def test_the_jobs_backtests_drop_vectorbts_portfolio_and_keep_every_series(mixed):
    from strategies.evaluate import strategy_table

    frame, res = mixed
    spec = RunConfig().strategy
    tables, backtests = trade_forecasts(spec, res)
    kinds = res.variance_of()
    want_table, want = strategy_table(
        frame["close"], res.for_symbol()[list(kinds)], spec, proxy=frame["rv"], variance_of=kinds
    )
    pd.testing.assert_frame_equal(tables["SP500"].table, want_table)
    for key, r in backtests["SP500"].items():
        assert r.portfolio is None and want[key].portfolio is not None
        pd.testing.assert_series_equal(r.returns, want[key].returns)
        pd.testing.assert_frame_equal(r.stats, want[key].stats)
