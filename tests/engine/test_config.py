"""engine.config: strict TOML into frozen dataclasses."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from core.errors import ParameterError, TradecastDeprecationWarning
from engine.config import ConfigError, DataConfig, FeaturesConfig, RunConfig, from_dict, load_config, to_dict
from engine.splits import WalkForward
from engine.store import to_toml

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_default_config_file_is_the_builtin_default():
    assert load_config(CONFIGS / "sp500.toml") == RunConfig()


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    assert isinstance(load_config(path), RunConfig)


def test_sections_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunConfig().data.source = "x"  # type: ignore[misc]


def test_partial_config_takes_defaults():
    cfg = from_dict({"name": "n", "data": {"source": "embedded:nasdaq"}})
    assert cfg.data == DataConfig(source="embedded:nasdaq") and cfg.features == FeaturesConfig()


def test_forecasters_build_what_they_say():
    cfg = from_dict({"forecasters": [{"name": "net", "type": "rnn", "cell": "gru", "hidden": [16, 8]}]})
    (spec,) = cfg.forecasters
    model = spec.build()
    assert type(model).__name__ == "RnnForecaster" and model.cell == "gru" and model.hidden == (16, 8)
    assert spec.build() is not model  # a new, unfitted forecaster each time
    assert [f.name for f in RunConfig().forecasters] == [
        "garch",
        "egarch",
        "gjr",
        "har",
        "loghar",
        "ewma",
        "lstm",
        "gru",
        "logharx_daily",  # issue 17: the strongest HAR-family baseline is in every default report
    ]


def test_grouped_networks_build_from_a_config_with_their_network_in_a_sub_table():
    from signals.batched import default_net

    cfg = from_dict(
        {
            "forecasters": [
                {"name": "seeds", "type": "rnn_ensemble", "seeds": [0, 1, 2], "net": {"cell": "gru", "hidden": [16]}},
                {"name": "universe", "type": "rnn_universe", "net": {"cell": "lstm", "grad_clip": 0.5}},
                {"name": "plain", "type": "rnn_universe"},
            ]
        }
    )
    seeds, universe, plain = (f.build() for f in cfg.forecasters)
    assert type(seeds).__name__ == "BatchedRnnEnsemble" and seeds.seeds == (0, 1, 2) and seeds.net.hidden == (16,)
    assert type(universe).__name__ == "BatchedRnnUniverse" and universe.cell == "lstm" and universe.net.grad_clip == 0.5
    assert universe.net.epochs == 60, "a net sub-table is an RnnForecaster's table: its defaults"
    assert plain.net.get_params() == default_net().get_params()


def test_a_grouped_networks_old_flat_keys_mean_the_same_network_with_a_warning():
    # the keys of the network beside the group's: the grouped defaults (a GRU(32), 30 epochs, patience 5)
    # filled in, as they meant before the group took a network; the warning shows the whole sub-table
    from signals.batched import BatchedRnnEnsemble, default_net

    old = {"name": "seeds", "type": "rnn_ensemble", "seeds": [0, 1], "hidden": 16, "lr": 0.003}
    with pytest.warns(
        TradecastDeprecationWarning,
        match=r"hidden, lr beside the group's own parameters is deprecated.*net = \{ cell = \"gru\", hidden = \[16\], "
        r"epochs = 30, patience = 5, lr = 0.003 \}",
    ):
        built = from_dict({"forecasters": [old]}).forecasters[0].build()
    want = BatchedRnnEnsemble(net=default_net().set_params(hidden=(16,), lr=0.003), seeds=(0, 1))
    assert built.get_params()["seeds"] == (0, 1)
    assert built.net.get_params() == want.net.get_params()
    with pytest.raises(ConfigError, match=r"sets hidden beside its parameters and a net table"):
        from_dict({"forecasters": [{"name": "s", "type": "rnn_ensemble", "hidden": [8], "net": {"cell": "gru"}}]})


def test_walkforward_section_makes_the_splitter():
    cfg = from_dict(
        {"walkforward": {"start": "2010-01-01", "refit_every": 126, "window": "rolling", "train_length": 1000}}
    )
    sp = cfg.walkforward.splitter()
    assert (sp.start, sp.refit_every, sp.window, sp.train_length) == ("2010-01-01", 126, "rolling", 1000)


def test_roundtrip_through_plain_data():
    cfg = from_dict(
        {
            "data": {"start": "2005-01-01"},
            "features": {"har_lags": [1, 10]},
            "forecasters": [{"name": "n", "type": "rnn", "hidden": [4, 2]}],
        }
    )
    assert from_dict(to_dict(cfg)) == cfg
    assert to_dict(cfg)["features"]["har_lags"] == [1, 10]


@pytest.mark.parametrize(
    ("mapping", "match"),
    [
        (
            {"nmae": "x"},
            r"unknown key 'nmae' in the top level; valid keys are: name, data, features, walkforward, strategy, "
            r"risk, forecasters, combinations. Did you mean 'name'\?",
        ),
        (
            {"walkforward": {"refit_every": "week"}},
            r"walkforward.refit_every = 'week' matches none of the allowed types",
        ),
        (
            {"strategy": {"target_vol": 0}},
            r"\[strategy\]: strategy.target_vol must be a positive annual volatility; got 0.0. Hint: 0.10 for 10 %",
        ),
        ({"strategy": {"fees_bps": float("nan")}}, r"strategy.fees_bps must be a finite number; got nan"),
        (
            {"strategy": {"smooth": 0}},
            r"strategy.smooth must be >= 1 \(the number of daily forecasts vol-targeting averages\); got 0. Hint: 1 "
            r"sizes",
        ),
        ({"strategy": {"smooth": 2.5}}, r"strategy.smooth must be an integer; got 2.5"),
        (
            {"walkforward": {"warm_start": "hot"}},
            r"walkforward.warm_start = 'hot' is not allowed; choose one of 'cold', 'warm'",
        ),
        (
            {"forecasters": [{"name": "x", "type": "lstm"}]},
            r"forecasters\[0\].type = 'lstm' is not a forecaster; choose one of garch, har",
        ),
        (
            {"forecasters": [{"name": "x", "type": "rnn", "hiden": [8]}]},
            r"unknown parameter 'hiden' in forecasters\[0\] \(type 'rnn'\); valid parameters are: cell, hidden.*Did "
            r"you mean 'hidden'\?",
        ),
        (
            {"forecasters": [{"name": "x", "type": "rnn", "hidden": [8, -1]}]},
            r"forecasters\[0\] \('x'\): RnnForecaster: hidden must be a non-empty tuple of integers >= 1; got \(8, "
            r"-1\)",
        ),
        ({"forecasters": [{"type": "har"}]}, r"forecasters\[0\].name must be a string; got None"),
        (
            {"forecasters": [{"name": "a", "type": "har"}, {"name": "a", "type": "ewma"}]},
            r"forecaster names must be unique; 'a' appear",
        ),
        ({"forecasters": []}, r"a run needs at least one \[\[forecasters\]\] table"),
        (
            {"data": {"fil": "ffill"}},
            r"unknown key 'fil' in \[data\]; valid keys are: source, start, end, fill, auto_adjust, cache_dir, vix, "
            r"intraday, every, intraday_overnight. Did you mean 'fill'\?",
        ),
        (
            {"data": {"fill": "bfill"}},
            r"data.fill = 'bfill' is not allowed; choose one of 'error', 'ffill'. Did you mean 'ffill'\?",
        ),
        ({"features": {"target": "gk"}}, r"features.target = 'gk' is not allowed; choose one of 'close_to_close'"),
        ({"data": {"auto_adjust": "yes"}}, r"data.auto_adjust must be true or false; got 'yes'"),
        ({"features": {"volume_window": 2.5}}, r"features.volume_window must be an integer; got 2.5"),
        ({"features": {"har_lags": 5}}, r"features.har_lags must be a list; got 5"),
        ({"features": {"har_lags": [1, "w"]}}, r"features.har_lags\[1\] must be an integer; got 'w'"),
        (
            {"features": {"har_lags": [0, 5]}},
            r"features.har_lags must be a non-empty list of positive integers; got \[0, 5\]",
        ),
        ({"data": {"start": 2008}}, r"data.start must be a string; got 2008 \(int\). Hint: quote it in TOML"),
        ({"data": "embedded:sp500"}, r"data must be a table"),
    ],
)
def test_bad_configs_are_refused_by_name(mapping, match):
    with pytest.raises(ConfigError, match=match):
        from_dict(mapping)


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"config file not found: .*nope.toml"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\nsource = 1\n")
    with pytest.raises(ConfigError, match=r"bad.toml is not valid TOML"):
        load_config(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[data]\nsorce = "embedded:sp500"\n')
    with pytest.raises(ConfigError, match=r"unknown.toml: unknown key 'sorce' in \[data\]"):
        load_config(unknown)


def test_threshold_section_round_trips_and_names_a_variance_model():
    import tomllib

    from engine.store import to_toml
    from strategies.spec import ThresholdSpec

    mapping = {
        "strategy": {
            "slippage_bps": 1.5,
            "threshold": {
                "choose": "grid",
                "uppers": [0.0, 0.001],
                "validation_end": "2009-12-31",
                "size": "vol_target",
                "variance_model": "lh",
            },
        },
        "forecasters": [{"name": "lh", "type": "har", "log": True}, {"name": "z", "type": "zero"}],
    }
    cfg = from_dict(mapping)
    assert cfg.strategy.threshold == ThresholdSpec(
        choose="grid", uppers=(0.0, 0.001), validation_end="2009-12-31", size="vol_target", variance_model="lh"
    )
    text = to_toml(to_dict(cfg))
    assert "[strategy.threshold]" in text and from_dict(tomllib.loads(text)) == cfg
    bad = {**mapping, "strategy": {"threshold": {"size": "vol_target", "variance_model": "z"}}}
    with pytest.raises(
        ConfigError,
        match=r"strategy.threshold.variance_model = 'z' is not a variance forecaster of this run; choose one of 'lh'",
    ):
        from_dict(bad)
    with pytest.raises(ConfigError, match=r"unknown key 'uper' in \[strategy.threshold\].*Did you mean 'upper'\?"):
        from_dict({"strategy": {"threshold": {"uper": 0.001}}})


@pytest.mark.parametrize(
    ("walkforward", "match"),
    [
        (
            {"start": 2008},
            r"walkforward.start = 2008 is a number, a year or a row\? Hint: start = \"2008-01-01\" for a date, or "
            r"start_row = 2008",
        ),
        ({"start": "2008"}, r"walkforward.start: start='2008' is a bare number"),
        (
            {"start": "2008-01-01", "train_fraction": 0.8},
            r"\[walkforward\] sets start = '2008-01-01' and train_fraction = 0.8; give one of them",
        ),
        ({"start_row": 1000, "train_fraction": 0.8}, r"give start_row or train_fraction, not both"),
        ({"train_fraction": 1.2}, r"walkforward.train_fraction must be in \(0, 1\); got 1.2"),
    ],
)
def test_walkforward_start_is_one_clear_thing(walkforward, match):
    with pytest.raises(ConfigError, match=match):
        from_dict({"walkforward": walkforward})


def test_start_row_and_train_fraction_reach_the_splitter():
    import pandas as pd

    dates = pd.bdate_range("2005-01-03", periods=1500)
    assert (
        from_dict({"walkforward": {"start_row": 1000, "refit_every": 250}})
        .walkforward.splitter()
        .split(dates)[0]
        .test.start
        == 1000
    )
    (fold,) = from_dict({"walkforward": {"train_fraction": 0.8}}).walkforward.splitter().split(dates)
    assert fold.test == slice(1200, 1500)


@pytest.mark.parametrize("name", ["../../x", "/etc/cron.d/x", "a/b", "..", "a b", "", "x" * 65, "<script>"])
def test_run_and_model_names_cannot_leave_the_run_folder(name):
    with pytest.raises(ConfigError, match=r"is not a valid name: use 1 to 64 letters, digits"):
        from_dict({"name": name})
    with pytest.raises(ConfigError, match=r"forecasters\[0\].name = .* is not a valid name"):
        from_dict({"forecasters": [{"name": name, "type": "har"}]})


@pytest.mark.parametrize("name", ["fold", "symbol", "Date", "buy_and_hold"])
def test_engine_names_are_reserved(name):
    with pytest.raises(ConfigError, match=rf"forecasters\[0\].name = '{name}' is reserved"):
        from_dict({"forecasters": [{"name": name, "type": "har"}]})


def test_one_error_hierarchy():
    from core.errors import DataError, ParameterError, TradecastError
    from engine.results import StoredResultsError

    for cls in (ConfigError, DataError, ParameterError, StoredResultsError):
        assert issubclass(cls, TradecastError) and issubclass(cls, ValueError)


def test_the_config_is_shown_as_toml_with_changes_marked():
    import tomllib

    from engine.config import to_annotated_toml

    cfg = from_dict(
        {
            "name": "x",
            "strategy": {"smooth": 5},
            "forecasters": [
                {"name": "loghar", "type": "har", "log": True},
                {"name": "g", "type": "rnn", "hidden": [8]},
            ],
        }
    )
    text = to_annotated_toml(cfg)
    assert 'name = "x"  # changed (default: "sp500")' in text and "smooth = 5  # changed (default: 10)" in text
    assert "target_vol = 0.1\n" in text, "default keys are not marked"
    assert (
        '[[forecasters]]\nname = "loghar"' in text and '[[forecasters]]  # not in the default job\nname = "g"' in text
    )
    assert from_dict(tomllib.loads(text)) == cfg, "the annotated text is the config a user would write"
    assert "# changed" not in to_annotated_toml(RunConfig())


def test_shipped_configs_are_found_by_name_from_any_folder(tmp_path, monkeypatch):
    from engine.config import find_config, shipped_configs

    monkeypatch.chdir(tmp_path)
    assert {"sp500", "nasdaq", "sp500_returns", "sp500_prices", "universe_csv"} <= set(shipped_configs())
    assert (
        find_config("sp500") == shipped_configs()["sp500"] and find_config("sp500.toml") == shipped_configs()["sp500"]
    )
    assert load_config(find_config("sp500")) == RunConfig()
    # the universe config's relative CSV is found beside the config, not in the working folder
    source = load_config(find_config("universe_csv")).data.source
    assert source.startswith("csv:/") and Path(source[4:]).is_file()
    with pytest.raises(ConfigError, match=r"no shipped config is named 'sp5000'; shipped: .*Did you mean 'sp500'\?"):
        find_config("sp5000")


def test_init_copies_a_shipped_config_with_its_data(tmp_path, capsys):
    from engine.cli import main

    assert main(["init", "universe_csv", "--to", str(tmp_path)]) == 0
    assert (tmp_path / "universe_csv.toml").is_file() and (tmp_path / "universe.csv").is_file()
    assert load_config(tmp_path / "universe_csv.toml").data.source == f"csv:{(tmp_path / 'universe.csv').resolve()}"
    assert main(["init", "universe_csv", "--to", str(tmp_path)]) == 1
    assert "exist; refusing to overwrite them" in capsys.readouterr().err
    # a user's own universe.csv beside: refused before anything is written, the file untouched
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "universe.csv").write_text("my data\n")
    assert main(["init", "universe_csv", "--to", str(mine)]) == 1
    assert "universe.csv exists; refusing to overwrite it" in capsys.readouterr().err
    assert (mine / "universe.csv").read_text() == "my data\n" and not (mine / "universe_csv.toml").exists()
    # --to a file is an error line
    (tmp_path / "a_file").write_text("x")
    assert main(["init", "universe_csv", "--to", str(tmp_path / "a_file")]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


def test_a_forecaster_table_sets_its_own_refit_schedule():
    cfg = from_dict(
        {
            "walkforward": {"start": "2010-01-01", "refit_every": "year"},
            "forecasters": [
                {
                    "name": "harx",
                    "type": "harx",
                    "schedule": {"refit_every": 1, "window": "rolling", "train_length": 1000},
                },
                {"name": "loghar", "type": "har", "log": True},
            ],
        }
    )
    harx, loghar = cfg.forecasters
    own = cfg.walkforward.schedule_for(harx).splitter
    assert (own.start, own.refit_every, own.window, own.train_length) == ("2010-01-01", 1, "rolling", 1000)
    assert cfg.walkforward.schedule_for(loghar) is None and dict(harx.params) == {}
    assert to_dict(cfg)["forecasters"][0]["schedule"]["train_length"] == 1000 and from_dict(to_dict(cfg)) == cfg
    with pytest.raises(ConfigError, match=r"forecasters\[0\]: train_length=500 applies to window='rolling' only"):
        from_dict({"forecasters": [{"name": "h", "type": "har", "schedule": {"train_length": 500}}]})


def test_a_flat_schedule_still_works_with_a_deprecation_warning_that_shows_the_table():
    from core.errors import TradecastDeprecationWarning

    flat = {"name": "harx", "type": "harx", "refit_every": 1, "window": "rolling", "train_length": 1000}
    with pytest.warns(TradecastDeprecationWarning, match=r"refit_every = 1, window = 'rolling'.*schedule = \{ "):
        old = from_dict({"forecasters": [flat]})
    new = from_dict({"forecasters": [{"name": "harx", "type": "harx", "schedule": dict(list(flat.items())[2:])}]})
    assert old == new
    # a rolling model's own window (a number, its deprecated length) is not a schedule key
    rolling = from_dict({"forecasters": [{"name": "rv", "type": "rolling_variance", "schedule": {"refit_every": 5}}]})
    assert dict(rolling.forecasters[0].schedule) == {"refit_every": 5}


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"schedule": {"refit_evry": 1}}, r"unknown key 'refit_evry' in forecasters\[0\].schedule.*refit_every"),
        ({"schedule": 1}, r"forecasters\[0\].schedule must be a table of refit keys"),
        ({"schedule": {"refit_every": 1}, "window": "rolling"}, r"sets window beside its parameters and a"),
    ],
)
def test_bad_schedule_tables_are_named(table, match):
    with pytest.raises(ConfigError, match=match):
        from_dict({"forecasters": [{"name": "harx", "type": "harx", **table}]})


def test_warm_updates_hybrids_and_combinations_are_configured_and_round_trip():
    from engine.splits import Schedule
    from signals.combination import Combination
    from signals.harx import HarxForecaster
    from signals.hybrid import HybridForecaster
    from signals.rnn import RnnForecaster

    cfg = from_dict(
        {
            "walkforward": {"start": "2010-01-01"},
            "forecasters": [
                {
                    "name": "base",
                    "type": "harx",
                    "schedule": {"refit_every": 1, "window": "rolling", "train_length": 1000},
                },
                {
                    "name": "gru",
                    "type": "rnn",
                    "cell": "gru",
                    "seq_len": 66,
                    "schedule": {"refit_every": "month", "refits": "warm", "cold_every": "year"},
                },
                {"name": "hyb", "type": "hybrid", "net": {"cell": "gru", "hidden": [16]}, "base": {"lags": [1, 5, 22]}},
            ],
            "combinations": [{"name": "ensemble", "members": ["gru", "base"], "weights": "equal"}],
        }
    )
    gru, hyb = cfg.forecasters[1], cfg.forecasters[2]
    own = cfg.walkforward.schedule_for(gru)
    assert own == Schedule(WalkForward(start="2010-01-01", refit_every="month"), refits="warm", cold_every="year")
    built = hyb.build()
    assert built.get_params()["net"].get_params() == RnnForecaster(cell="gru", hidden=(16,)).get_params()
    assert isinstance(built, HybridForecaster) and isinstance(built.base, HarxForecaster)
    assert cfg.combinations[0].build() == Combination(members=("gru", "base"), weights="equal")
    text = to_toml(to_dict(cfg))
    assert 'net = { type = "rnn", cell = "gru", hidden = [16] }' in text
    assert from_dict(tomllib.loads(text)) == cfg
    # a sub-table's keys are checked by name, a combination's members against the forecasters
    with pytest.raises(ConfigError, match=r"unknown parameter 'hiden' in forecasters\[0\].net \(type 'rnn'\)"):
        from_dict({"forecasters": [{"name": "h", "type": "hybrid", "net": {"hiden": [8]}}]})
    with pytest.raises(ConfigError, match=r"\[\[combinations\]\] 'c': member 'lstm' is not a forecaster of this run"):
        from_dict({**to_dict(cfg), "combinations": [{"name": "c", "members": ["gru", "lstm"]}]})
    with pytest.raises(ConfigError, match=r"forecasters\[0\]: cold_every='year' restarts a chain of warm refits"):
        from_dict({"forecasters": [{"name": "g", "type": "rnn", "schedule": {"refits": "cold", "cold_every": "year"}}]})


@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.toml")))
@pytest.mark.parametrize("split", [{}, {"start_row": 2500}, {"train_fraction": 0.8}])
def test_every_config_and_splitting_option_reads_back_from_its_run_folder(name, split):
    # a run folder keeps its config.toml as to_dict writes it; report, --resume and compare read it
    # back: with start_row or train_fraction it also wrote the default start, and was refused
    cfg = load_config(CONFIGS / f"{name}.toml")
    if split:
        wf = {k: v for k, v in to_dict(cfg)["walkforward"].items() if k != "start"} | split
        cfg = from_dict({**to_dict(cfg), "walkforward": wf})
    again = from_dict(tomllib.loads(to_toml(to_dict(cfg))))
    assert again == cfg


def test_every_unknown_key_is_reported_at_once():
    with pytest.raises(
        ConfigError,
        match=r"2 unknown keys in \[walkforward\]: 'strat': did you mean 'start'\?; 'refit_evry': did you mean "
        r"'refit_every'\?\. Valid keys are: start, ",
    ):
        from_dict({"walkforward": {"strat": "2010-01-01", "refit_evry": "year"}})
    with pytest.raises(ConfigError, match=r"2 unknown parameters in forecasters\[0\] \(type 'rnn'\): 'hiden'.*'epoch'"):
        from_dict({"forecasters": [{"name": "g", "type": "rnn", "hiden": [8], "epoch": 3}]})


def test_the_run_device_reaches_every_network_that_does_not_set_its_own():
    cfg = from_dict(
        {
            "walkforward": {"device": "cpu"},
            "forecasters": [
                {"name": "gru", "type": "rnn", "cell": "gru"},
                {"name": "own", "type": "rnn", "device": "auto"},
                {"name": "seeds", "type": "rnn_ensemble", "seeds": [0, 1]},
                {"name": "mine", "type": "rnn_universe", "net": {"device": "auto"}},
                {"name": "hyb", "type": "hybrid", "net": {"cell": "gru"}},
                {"name": "har", "type": "har"},
            ],
        }
    )
    built = {f.name: f.build(cfg.walkforward.device) for f in cfg.forecasters}
    assert built["gru"].device == "cpu" and built["seeds"].net.device == "cpu" and built["hyb"].net.device == "cpu"
    assert built["seeds"].net.epochs == 30, "the group's default network, on the run's device"
    assert built["mine"].net.device == "auto"
    assert built["own"].device == "auto"  # a network's own key wins, as its own schedule does
    assert "device" not in built["har"].get_params()
    # unset: each network's own default
    assert cfg.forecasters[0].build().device == "auto"
    assert from_dict(tomllib.loads(to_toml(to_dict(cfg)))) == cfg
    with pytest.raises(
        ConfigError, match=r"walkforward.device = 'gpu' is not allowed; choose one of 'auto', 'cpu', 'cuda'"
    ):
        from_dict({"walkforward": {"device": "gpu"}})


def test_the_data_and_features_tables_are_the_objects_they_configure():
    from engine.config import DataConfig, FeaturesConfig
    from engine.data import DataSpec, load
    from signals.features import FeatureSpec, feature_frame

    assert DataConfig is DataSpec and FeaturesConfig is FeatureSpec
    cfg = from_dict({"data": {"source": "embedded:nasdaq", "start": "2015-01-01"}, "features": {"har_lags": [1, 5]}})
    bars = cfg.data.load(min_rows=cfg.features.rows_needed)
    pd.testing.assert_frame_equal(bars, load("embedded:nasdaq", start="2015-01-01", min_rows=21))
    assert cfg.features.rows_needed == 21, "the volume window (20) is the longest, plus the row it ends on"
    pd.testing.assert_frame_equal(cfg.features.frame(bars), feature_frame(bars, har_lags=(1, 5)))
    # one set of checks: the Python object refuses what the config refuses, by the same name
    with pytest.raises(ParameterError, match=r"features.har_lags must be a non-empty list of positive integers"):
        FeatureSpec(har_lags=(0, 5))
    with pytest.raises(ParameterError, match=r'data.every must be a pandas frequency such as "5min"'):
        DataSpec(every="five")
