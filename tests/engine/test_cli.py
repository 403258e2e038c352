"""The tradecast command line."""

from __future__ import annotations

import argparse
import html
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.cli import build_parser, main


def test_data_command_prints_summary(capsys):
    assert main(["data", "embedded:nasdaq"]) == 0
    out = capsys.readouterr().out
    assert "NASDAQ" in out and "rows            5031" in out and "1999-01-04 to 2018-12-31" in out
    assert "garman_klass" in out


def test_data_command_options(capsys):
    assert main(["data", "embedded:sp500", "--start", "2008-01-01", "--end", "2008-12-31"]) == 0
    assert "2008-01-02 to 2008-12-31" in capsys.readouterr().out


def test_bad_input_is_a_clear_error_not_a_traceback(capsys):
    assert main(["data", "embedded:dax"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: embedded dataset 'dax' does not exist")


FAST_RUN = """
name = "quick"
[walkforward]
start = "2016-01-01"
[strategy]
regime_lookback = 60
[[forecasters]]
name = "loghar"
type = "har"
log = true
[[forecasters]]
name = "ewma"
type = "ewma"
"""


def test_run_prints_summary_and_loss_table(tmp_path, capsys):
    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    assert main(["run", str(cfg), "--run-dir", str(tmp_path / "run"), "--no-tearsheets"]) == 0
    out = capsys.readouterr().out
    assert "run 'quick'" in out and "features for SP500 (target: garman_klass)" in out
    assert "walk-forward: 2 models x 3 folds, out of sample from 2016-01-01" in out
    table = out[out.index("out-of-sample losses") :]
    assert "loghar" in table and "ewma" in table and "qlike_vs_loghar" in table
    assert list((tmp_path / "run" / "folds" / "SP500").iterdir()), "finished folds are kept in --run-dir"
    strat = out[out.index("strategies on SP500") :]
    assert "vol_target" in strat and "regime" in strat and "buy_and_hold" in strat
    # the calibration is said where the strategies are shown, in the terminal and the report
    said = (
        "forecasts of the rv proxy scaled to return variance, calibrate='proxy'; sized on the mean of the last 10 "
        "forecasts"
    )
    assert said in strat
    assert html.escape(said) in (tmp_path / "run" / "report.html").read_text()


def test_run_rejects_bad_config(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[data]\nsorce = "x"\n')
    assert main(["run", str(cfg)]) == 1
    assert "unknown key 'sorce' in [data]" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["data"], ["run"], ["init"], ["report"], ["list"], ["compare"]])
def test_help_is_useful(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and "tradecast " in out[out.index("example") :]


def test_help_lists_every_subcommand():
    text = build_parser().format_help()
    for sub in ("data", "run", "init", "report", "list", "compare"):
        assert f"    {sub} " in text
        assert f"tradecast {sub}" in text, f"the main help shows an example of {sub}"


def test_console_script_is_installed():
    exe = Path(sys.executable).with_name("tradecast")
    assert exe.exists(), "pip install -e . installs the tradecast console script"
    out = subprocess.run(
        [str(exe), "data", "embedded:nasdaq"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CI": "true"},
    )
    assert "NASDAQ" in out.stdout


def test_run_dir_never_overwrites_another_run(tmp_path, capsys):
    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    run = tmp_path / "run"
    assert main(["run", str(cfg), "--run-dir", str(run), "--no-tearsheets"]) == 0
    before = (run / "forecasts.parquet").read_bytes()
    other = tmp_path / "other.toml"
    other.write_text(FAST_RUN.replace("regime_lookback = 60", "regime_lookback = 90"))
    capsys.readouterr()
    assert main(["run", str(other), "--run-dir", str(run), "--no-tearsheets"]) == 1
    assert "holds a run of another config; refusing to overwrite it" in capsys.readouterr().err
    assert (run / "forecasts.parquet").read_bytes() == before
    assert main(["run", str(cfg), "--run-dir", str(run), "--no-tearsheets"]) == 0, "the same config resumes"
    assert "resuming it" in capsys.readouterr().out
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    assert main(["run", str(cfg), "--run-dir", str(tmp_path / "home")]) == 1
    assert "is a folder of other files, not a run folder" in capsys.readouterr().err
    # a file where a folder should be: an error line, not a traceback
    (tmp_path / "a_file").write_text("x")
    assert main(["run", str(cfg), "--run-dir", str(tmp_path / "a_file")]) == 1
    assert "--run-dir" in (err := capsys.readouterr().err) and "is a file, not a folder" in err
    assert main(["run", str(cfg), "--root", str(tmp_path / "a_file")]) == 1
    assert "--root" in (err := capsys.readouterr().err) and "is a file, not a folder" in err


def test_a_second_run_into_a_folder_in_use_is_refused_and_a_killed_run_is_listed_as_killed(tmp_path, capsys):
    import json
    import socket
    import subprocess
    import sys

    from core.locks import hold
    from engine.store import list_runs

    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    run = tmp_path / "runs" / "busy"
    with hold(run):  # another run holds the folder (the loser of a race for one new --run-dir)
        assert main(["run", str(cfg), "--run-dir", str(run), "--no-tearsheets"]) == 1
    assert f"{run} is in use by another run (process " in capsys.readouterr().err
    assert not (run / "config.toml").exists(), "the refused run wrote nothing"
    # a run killed with SIGKILL left its manifest at "running": its process is gone, so it is listed as killed
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = tmp_path / "runs" / "killed"
    killed.mkdir(parents=True)
    manifest = {"status": "running", "started": "2026-12-01T10:00:00", "pid": dead.pid, "host": socket.gethostname()}
    (killed / "manifest.json").write_text(json.dumps(manifest))
    listed = list_runs(tmp_path / "runs").set_index("run")
    assert listed.loc["killed", "status"].startswith("killed")


def test_a_walk_forward_error_is_a_message_not_a_traceback(tmp_path, capsys):
    cfg = tmp_path / "late.toml"
    cfg.write_text(FAST_RUN.replace('start = "2016-01-01"', 'start = "2030-01-01"'))
    assert main(["run", str(cfg), "--run-dir", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: WalkForward: start=2030-01-01 is after the last date 2018-12-31")
    assert '"status": "failed"' in (tmp_path / "run" / "manifest.json").read_text()


def test_a_full_disk_is_a_message_and_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    import errno as errno_mod

    from core import atomic

    cfg = tmp_path / "quick.toml"
    cfg.write_text(FAST_RUN)
    real = atomic.os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) > 6:  # the config and manifest go through; a fold or result file meets a full disk
            raise OSError(errno_mod.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    assert main(["run", str(cfg), "--run-dir", str(tmp_path / "run"), "--no-tearsheets"]) == 1
    err = capsys.readouterr().err
    assert "\nerror: the disk is full" in "\n" + err and "nothing half-written" in err and "Traceback" not in err
    assert not list((tmp_path / "run").rglob("*.tmp")), "temporary files are removed"
    for path in (tmp_path / "run").rglob("*.parquet"):  # whatever was written is whole
        from core.atomic import read_parquet_checked

        read_parquet_checked(path)


def test_help_text_has_no_escaped_percent(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "%%" not in out and "10 percent vol target" in out


def test_help_and_a_har_config_never_import_torch():
    code = (
        "import sys; from engine.cli import build_parser; build_parser().format_help(); "
        "from engine.config import from_dict; from_dict({'forecasters': [{'name': 'h', 'type': 'har'}]}); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "the registry imports a forecaster's module only when a config names it"


def test_an_old_config_key_is_read_and_the_terminal_names_the_new_one(tmp_path, capsys):
    cfg = tmp_path / "old.toml"
    cfg.write_text('[features]\ntarget = "parkinson"\n[strategy]\ntarget = 0.1\n')
    assert main(["run", str(cfg)]) == 1  # [strategy] has no key target: the config is refused after the warning
    err = capsys.readouterr().err
    assert (
        '[features] target is deprecated (renamed so that each name has one meaning); write estimator = "parkinson"'
        in err
    )
    assert "unknown key 'target' in [strategy]" in err


def test_a_ray_address_reaches_the_run_config():
    from engine.config import from_dict, to_dict

    args = build_parser().parse_args(["run", "--ray-address", "10.0.0.5:6379"])
    assert args.ray_address == "10.0.0.5:6379"
    cfg = from_dict({"walkforward": {"executor": "ray", "ray_address": "10.0.0.5:6379"}})
    assert cfg.walkforward.ray_address == to_dict(cfg)["walkforward"]["ray_address"] == "10.0.0.5:6379"


def test_device_is_set_from_the_command_line_recorded_and_named_in_the_report(tmp_path, capsys):
    cfg = tmp_path / "net.toml"
    cfg.write_text(
        FAST_RUN.replace('start = "2016-01-01"', 'start = "2017-01-01"')
        + '[[forecasters]]\nname = "gru"\ntype = "rnn"\ncell = "gru"\nhidden = [4]\nepochs = 1\nseq_len = 5\n'
    )
    run = tmp_path / "run"
    assert main(["run", str(cfg), "--run-dir", str(run), "--no-tearsheets", "--device", "cpu"]) == 0
    saved = tomllib.loads((run / "config.toml").read_text())
    assert saved["walkforward"]["device"] == "cpu"  # what executed is what the folder says
    text = (run / "report.html").read_text()
    assert "<dt>networks on</dt><dd>cpu (" in text
    assert "Seconds on this machine (networks on cpu (" in text
    # a resumed run keeps its device: folds from two devices would mix
    capsys.readouterr()
    assert main(["run", "--resume", str(run), "--device", "auto"]) == 1
    err = capsys.readouterr().err
    assert "--device auto: the run was started with device = 'cpu'" in err and "Traceback" not in err


def test_each_command_takes_its_help_description_and_examples_from_its_docstring():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps["report"] == "re-render a finished run's report from its stored results"
    for name, p in sub.choices.items():
        assert p.description and "Examples" not in p.description and "--------" not in p.description, name
        assert p.epilog.startswith("examples:\n  tradecast " + name), name
    assert "10 percent vol target" in sub.choices["run"].description
