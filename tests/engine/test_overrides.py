"""Command-line overrides (``tradecast run --set KEY=VALUE``): what is set is what runs."""

from __future__ import annotations

import tomllib

import pytest

from core.errors import ConfigError
from engine.cli import main
from engine.config import RunConfig, load_config, to_dict
from engine.overrides import apply_overrides, parse_override

from .test_cli import FAST_RUN


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("walkforward.start=2012-01-01", ("walkforward", "start"), "2012-01-01"),  # a TOML date read as its text
        ("strategy.target_vol=0.15", ("strategy", "target_vol"), 0.15),
        ("walkforward.n_jobs = 2", ("walkforward", "n_jobs"), 2),
        ("forecasters.gru.hidden=[64, 32]", ("forecasters", "gru", "hidden"), [64, 32]),
        ("walkforward.audit=true", ("walkforward", "audit"), True),
        ("data.source=csv:my data.csv", ("data", "source"), "csv:my data.csv"),  # not TOML: the text itself
        ('name="x"', ("name",), "x"),
        ("data.vix=", ("data", "vix"), ""),
    ],
)
def test_parse_override_reads_toml_values_and_plain_text(text, path, value):
    assert parse_override(text) == (path, value)


@pytest.mark.parametrize("text", ["walkforward.start", "=3", "walkforward..start=1", "a.=1"])
def test_parse_override_refuses_malformed_text(text):
    with pytest.raises(ConfigError, match=r"--set .*KEY=VALUE"):
        parse_override(text)


def test_apply_overrides_sets_nested_and_named_tables_without_touching_the_input():
    mapping = tomllib.loads(FAST_RUN)
    out = apply_overrides(
        mapping,
        ["walkforward.start=2017-01-01", "forecasters.ewma.lam=0.9", "strategy.portfolio.target_vol=0.2"],
    )
    assert out["walkforward"]["start"] == "2017-01-01"
    assert out["forecasters"][1] == {"name": "ewma", "type": "ewma", "lam": 0.9}
    assert out["strategy"]["portfolio"] == {"target_vol": 0.2}
    assert mapping == tomllib.loads(FAST_RUN), "the parsed file is left as it was"


def test_apply_overrides_names_the_missing_forecaster_and_the_value_that_is_not_a_table():
    mapping = tomllib.loads(FAST_RUN)
    with pytest.raises(ConfigError, match=r"no \[\[forecasters\]\] table named 'ewmaa'.*'loghar', 'ewma'.*'ewma'\?"):
        apply_overrides(mapping, ["forecasters.ewmaa.lam=0.9"])
    with pytest.raises(ConfigError, match=r"chosen by its name"):
        apply_overrides(mapping, ["forecasters.lam=0.9"])
    with pytest.raises(ConfigError, match=r"walkforward.start is a value .* not a table"):
        apply_overrides(mapping, ["walkforward.start.year=2012"])


def test_load_config_applies_overrides_to_a_file_and_to_the_default_job(tmp_path):
    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    config = load_config(cfg, ["walkforward.start=2017-01-01", "strategy.target_vol=0.15"])
    assert config.walkforward.start == "2017-01-01" and config.strategy.target_vol == 0.15
    assert load_config(cfg).walkforward.start == "2016-01-01"
    default = load_config(None, ["forecasters.gru.epochs=3"])
    assert next(f for f in default.forecasters if f.name == "gru").build().epochs == 3
    assert to_dict(load_config(None)) == to_dict(RunConfig())


def test_overrides_are_checked_like_the_file(tmp_path):
    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    with pytest.raises(ConfigError, match=r"with --set walkforward.strat=2012.*unknown key 'strat' in \[walkforward\]"):
        load_config(cfg, ["walkforward.strat=2012"])
    with pytest.raises(ConfigError, match=r"the default job with --set strategy.target_vol=high: .*target_vol"):
        load_config(None, ["strategy.target_vol=high"])


def test_run_with_set_runs_and_records_the_overridden_config(tmp_path, capsys):
    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    run = tmp_path / "run"
    argv = ["run", str(cfg), "--run-dir", str(run), "--no-tearsheets", "--set", "walkforward.start=2017-01-01"]
    assert main([*argv, "--set", "forecasters.ewma.lam=0.9"]) == 0
    out = capsys.readouterr().out
    assert "overrides (recorded in" in out and "walkforward.start=2017-01-01" in out
    assert "2 models x 2 folds, out of sample from 2017-01-01" in out
    recorded = tomllib.loads((run / "config.toml").read_text())
    assert recorded["walkforward"]["start"] == "2017-01-01"
    assert next(f for f in recorded["forecasters"] if f["name"] == "ewma")["lam"] == 0.9
    # a resumed run runs its own recorded config: overriding it is refused
    assert main(["run", "--resume", str(run), "--set", "strategy.target_vol=0.2"]) == 1
    assert "do not pass a CONFIG or --set" in capsys.readouterr().err
