"""The ``tradecast`` command line."""

from __future__ import annotations

import argparse
import errno
import inspect
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, DataWarning, TradecastDeprecationWarning, TradecastError
from engine import __version__

if TYPE_CHECKING:
    from engine.config import RunConfig

# The config machinery (and through it pandas and the forecasters) is imported by
# the commands that need it, so that `tradecast --help` starts in a blink.

__all__ = ["build_parser", "main"]

_EPILOG = """\
examples:
  tradecast data embedded:sp500                 summary of the S&P 500 shipped with arch
  tradecast data yfinance:AAPL,MSFT --start 2015-01-01
  tradecast data csv:prices.csv --fill ffill    your own file, gaps carried forward
  tradecast run                                 the default job (configs/sp500.toml) into runs/
  tradecast run nasdaq                          a shipped config by name (sp500, nasdaq, sp500_returns, ...)
  tradecast run configs/nasdaq.toml
  tradecast init sp500_returns                  copy a shipped config here to edit
  tradecast run --resume runs/sp500-20261123-101500
  tradecast report runs/sp500-20261123-101500   re-render a finished run's report
  tradecast list                                the runs under runs/
  tradecast compare RUN_A RUN_B                 config and metric differences

Run 'tradecast COMMAND --help' for a command's options.
"""


def _cmd_data(args: argparse.Namespace) -> int:
    """Load a data source, validate it and print a summary.

    Load a source, validate it (a clear error for bad data, never a silent fix) and print rows,
    dates, symbols, gaps and annualised volatility by realized-variance estimator.

    Sources: embedded:sp500, embedded:nasdaq, embedded:vix, yfinance:TICKER[,TICKER...], csv:PATH,
    parquet:PATH.

    Examples
    --------
      tradecast data embedded:nasdaq
      tradecast data yfinance:SPY --start 2010-01-01
      tradecast data csv:~/data/universe.csv --fill ffill
    """
    from engine.data import load
    from engine.summary import format_summary

    bars = load(
        args.source,
        start=args.start,
        end=args.end,
        fill=args.fill,
        auto_adjust=not args.no_adjust,
        cache_dir=args.cache_dir,
        refresh=args.refresh,
    )
    print(format_summary(bars))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """Run a job from a TOML config (default: embedded S&P 500) into a run folder.

    Run the job described by a TOML config: load and validate the data, build features, forecast
    walk-forward out of sample, trade the forecasts and write the HTML report into
    runs/NAME-TIMESTAMP/. Without a config, the built-in default job, identical to
    configs/sp500.toml: embedded S&P 500, Garman-Klass variance target, GARCH, EGARCH, GJR, HAR,
    log-HAR, EWMA, LSTM, GRU and a log-HAR-X refit daily, yearly refits from 2008,
    a 10 percent vol target and a regime strategy.

    Examples
    --------
      tradecast run
      tradecast run configs/nasdaq.toml
      tradecast run --set walkforward.start=2012-01-01 --set strategy.target_vol=0.15
      tradecast run --resume runs/sp500-20261123-101500   (after Ctrl-C or a kill)
    """
    import time

    from engine.job import run_job

    t0 = time.perf_counter()
    config, run_dir = _resumed(args) if args.resume else _new_run(args)
    config = _with_options(config, args)
    try:
        path = run_job(config, run_dir, tearsheets=not args.no_tearsheets)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished folds are kept. Resume with: tradecast run --resume {run_dir}", file=sys.stderr)
        return 130
    print(f"\nreport: {path.resolve()}")
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def _resumed(args: argparse.Namespace) -> tuple[RunConfig, Path]:
    """``--resume RUN_DIR``: the run's own config and folder."""
    from engine.config import load_config

    run_dir = Path(args.resume)
    if not (run_dir / "config.toml").exists():
        raise ConfigError(
            f"--resume {run_dir}: not a run folder (no config.toml). Hint: tradecast list shows the runs."
        )
    if args.config or args.set:
        raise ConfigError(
            "--resume takes the run's own config.toml; do not pass a CONFIG or --set as well. Hint: start a new "
            "run with the changed config."
        )
    config = load_config(run_dir / "config.toml")
    print(f"tradecast {__version__}: resuming run '{config.name}' in {run_dir}")
    return config, run_dir


def _new_run(args: argparse.Namespace) -> tuple[RunConfig, Path]:
    """A new run: the config (shipped, a file or the default, with ``--set`` overrides) and its folder."""
    from engine import store
    from engine.config import find_config, load_config

    if args.config:
        args.config = str(find_config(args.config))
    config = load_config(args.config or None, args.set)
    if args.run_dir:
        run_dir = Path(args.run_dir)
        _check_run_dir(run_dir, config)
    else:
        run_dir = store.new_run_dir(config.name, args.root)
    print(
        f"tradecast {__version__}: run '{config.name}'"
        + (f" from {args.config}" if args.config else " (built-in default, as configs/sp500.toml)")
        + f" in {run_dir}"
    )
    if args.set:
        print(f"overrides (recorded in {run_dir / 'config.toml'}): {', '.join(args.set)}")
    return config, run_dir


def _with_options(config: RunConfig, args: argparse.Namespace) -> RunConfig:
    """``--ray-address`` and ``--device`` put into the config's ``[walkforward]``."""
    import dataclasses

    if args.ray_address:
        wf = dataclasses.replace(config.walkforward, executor="ray", ray_address=args.ray_address)
        config = dataclasses.replace(config, walkforward=wf)
        print(f"walk-forward on the Ray cluster at {args.ray_address}")
    if args.device:
        if args.resume and config.walkforward.device != args.device:
            raise ConfigError(
                f"--device {args.device}: the run was started with device = {config.walkforward.device!r}; its "
                "finished folds would mix with folds fitted elsewhere (a GPU's numbers differ in the last digits). "
                "Hint: resume without --device, or start a new run."
            )
        config = dataclasses.replace(config, walkforward=dataclasses.replace(config.walkforward, device=args.device))
    return config


def _check_run_dir(run_dir: Path, config) -> None:
    """``--run-dir`` may be a new or empty folder, or a run of the same config (then
    the run resumes); never a finished run of another config, nor a folder of other files.
    """
    from core.locks import LOCK_NAME
    from engine.config import load_config, to_dict

    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--run-dir {run_dir} is a file, not a folder. Hint: a new folder's path.")
    if not run_dir.exists() or not any(p.name != LOCK_NAME for p in run_dir.iterdir()):
        return  # new, empty, or taken by a run that has written nothing yet: the lock decides
    stored = run_dir / "config.toml"
    if not stored.exists():
        raise ConfigError(
            f"--run-dir {run_dir} is a folder of other files, not a run folder (no config.toml); a run would write "
            f"into it. Hint: a new or empty folder, or leave --run-dir out for runs/NAME-TIMESTAMP."
        )
    try:
        same = to_dict(load_config(stored)) == to_dict(config)
    except ConfigError:
        same = False
    if not same:
        raise ConfigError(
            f"--run-dir {run_dir} holds a run of another config; refusing to overwrite it. Hint: another folder, "
            f"or tradecast run --resume {run_dir} to finish that run with its own config."
        )
    print(f"--run-dir {run_dir} holds a run of the same config: resuming it (finished folds are read, not refitted)")


def _cmd_init(args: argparse.Namespace) -> int:
    """Copy a shipped config (and its data file) into a folder, to edit.

    Copy one of the configs shipped with tradecast into a folder (the current one by default),
    with the data file it reads, so that it can be edited and run from anywhere.

    Examples
    --------
      tradecast init sp500
      tradecast init universe_csv --to ~/research
    """
    import shutil

    from engine.config import find_config, load_config

    source = find_config(args.name)
    if source.parent != Path(__file__).resolve().parent / "configs":
        raise ConfigError(
            f"tradecast init copies a shipped config; {args.name!r} is a file of yours already. Hint: tradecast init "
            "sp500."
        )
    folder = Path(args.to)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--to {folder} is a file, not a folder. Hint: a folder's path, such as . or my-runs.")
    config = load_config(source)
    # every file init would write, checked before any is: never overwrite a file of the user's
    pairs = [(source, folder / source.name)]
    data = config.data.source
    if data.startswith("csv:") and Path(data[4:]).parent == source.parent:  # the config's own data file travels with it
        pairs.append((Path(data[4:]), folder / Path(data[4:]).name))
    taken = [str(target) for _, target in pairs if target.exists()]
    if taken:
        raise ConfigError(
            f"{', '.join(taken)} exist{'s' if len(taken) == 1 else ''}; refusing to overwrite "
            f"{'it' if len(taken) == 1 else 'them'} (init copies {', '.join(t.name for _, t in pairs)}). Hint: --to "
            "another folder, or edit the files you have."
        )
    folder.mkdir(parents=True, exist_ok=True)
    for src, target in pairs:
        shutil.copyfile(src, target)
    print("copied " + ", ".join(str(t) for _, t in pairs) + f"; edit it, then: tradecast run {pairs[0][1]}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    """Re-render a finished run's report from its stored results.

    Render RUN_DIR/report.html again from the run's stored features, forecasts and fits: no
    model is refitted, no data source is read, and the manifest keeps the run's own times and
    versions (a 'rendered' entry is added). The leaderboards and strategies are the ones the run
    kept while its files, tradecast and its packages are unchanged, so a re-render takes seconds.

    Examples
    --------
      tradecast report runs/sp500-20261123-101500
    """
    from engine import store
    from engine.job import render_run

    run_dir = Path(args.run_dir)
    manifest = run_dir / "manifest.json"
    if not manifest.exists():
        raise ConfigError(f"{run_dir} is not a run folder (no manifest.json). Hint: tradecast list shows the runs.")
    try:
        status = store.read_json(manifest).get("status")
    except ValueError as exc:
        raise ConfigError(
            f"{manifest} is not readable JSON ({exc}). Hint: the run folder is damaged; run it again."
        ) from None
    if status != "complete":
        raise ConfigError(
            f"{run_dir} did not finish (status {status!r}); finish it with: tradecast run --resume {run_dir}"
        )
    print(f"re-rendering {run_dir} from its stored results (nothing is refitted)")
    detail = [s.strip() for s in args.detail.split(",") if s.strip()] if args.detail else None
    path = render_run(run_dir, tearsheets=not args.no_tearsheets, detail=detail, rescore=args.rescore, echo=print)
    print(f"report: {path.resolve()}")
    print(
        "re-rendered from the run's stored results: nothing was refitted, no data source was read, the manifest "
        "keeps the run's provenance"
    )
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    """List the runs in a folder.

    One line per run, newest first: name, status (complete, running, interrupted, failed,
    unreadable), start time, models, and the best 1-day variance model by QLIKE of each symbol
    (or a failed run's error).

    Examples
    --------
      tradecast list
      tradecast list --root ~/research/runs
    """
    import pandas as pd

    from engine.store import list_runs

    runs = list_runs(args.root)
    if runs.empty:
        print(f"no runs under {Path(args.root).resolve()}; start one with: tradecast run")
        return 0
    with pd.option_context("display.width", 160, "display.max_colwidth", 60):
        print(runs.to_string(index=False))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    """Show what differs between two runs: config and metrics.

    Print the config keys whose values differ between two runs, then each model's out-of-sample
    loss and each strategy's Sharpe ratio side by side, recomputed on the dates both runs have.

    Examples
    --------
      tradecast compare runs/sp500-20261123-101500 runs/sp500-20261124-090000
    """
    import pandas as pd

    from engine.compare import compare_runs

    try:
        diff, forecasts, strategies = compare_runs(args.run_a, args.run_b)
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from None
    with pd.option_context("display.width", 160, "display.max_colwidth", 50, "display.float_format", "{:.4g}".format):
        print("config: " + ("identical" if diff.empty else f"{len(diff)} difference(s)"))
        if not diff.empty:
            print(diff.to_string())
        print("\nout-of-sample losses, both runs on the dates both have (from/to/n); difference = second minus first")
        print(forecasts.to_string() if len(forecasts) else "(no model with the same target and horizon in both runs)")
        print("\nstrategy Sharpe ratios, both runs on the days both traded")
        print(strategies.to_string() if len(strategies) else "(no strategy in both runs)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="tradecast",
        description="Turn volatility and return forecasts into trades, honestly: walk-forward forecasts, "
        "vectorbt backtests, one HTML report.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tradecast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _data_command(sub)
    _run_command(sub)
    _init_command(sub)
    _report_command(sub)
    _list_command(sub)
    _compare_command(sub)
    return parser


def _command(sub: Any, name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A subcommand's parser calling ``func`` with the parsed arguments; its texts are ``func``'s
    docstring: the first line is the one-line help, then the description, and its Examples
    section the epilog (kept as written).
    """
    doc = inspect.cleandoc(func.__doc__ or "")
    first, _, rest = doc.partition("\n\n")
    description, _, examples = rest.partition("Examples\n--------\n")
    help = first[0].lower() + first[1:].removesuffix(".")
    epilog = "examples:\n" + examples if examples else ""
    p = sub.add_parser(
        name,
        help=help,
        description=description.strip(),
        epilog=epilog.strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=func)
    return p


def _data_command(sub: Any) -> None:
    """``tradecast data``."""
    p = _command(sub, "data", _cmd_data)
    p.add_argument("source", help="e.g. embedded:sp500, yfinance:SPY, csv:PATH, parquet:PATH")
    p.add_argument("--start", help="first date kept (inclusive), e.g. 2008-01-01")
    p.add_argument("--end", help="last date kept (inclusive)")
    p.add_argument(
        "--fill",
        choices=["error", "ffill"],
        default="error",
        help="missing values inside the data: refuse (default) or carry the previous close forward",
    )
    p.add_argument("--no-adjust", action="store_true", help="keep unadjusted prices (default: split/dividend adjusted)")
    p.add_argument("--cache-dir", help="yfinance cache folder (default ~/.cache/tradecast/yfinance)")
    p.add_argument("--refresh", action="store_true", help="download again even if the yfinance cache has a copy")


def _run_command(sub: Any) -> None:
    """``tradecast run``."""
    p = _command(sub, "run", _cmd_run)
    p.add_argument(
        "config",
        nargs="?",
        help="a TOML config: a path, or the name of a shipped one such as sp500_returns (default: the built-in sp500 "
        "job)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key, repeatable: walkforward.start=2012-01-01, strategy.target_vol=0.15, "
        "forecasters.gru.hidden=[64] (a [[forecasters]] table by its name); the value is TOML, else text; the run's "
        "config.toml records what ran",
    )
    p.add_argument("--run-dir", help="the run's folder (default: ROOT/NAME-TIMESTAMP)")
    p.add_argument("--root", default="runs", help="where new run folders go (default: runs)")
    p.add_argument("--resume", metavar="RUN_DIR", help="finish an interrupted run; finished folds are not fitted again")
    p.add_argument(
        "--no-tearsheets",
        action="store_true",
        help="leave the quantstats tear sheets out of the report (faster, smaller)",
    )
    p.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="run the walk-forward on this Ray cluster (sets executor = ray; $RAY_ADDRESS is read too)",
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        help="where every network trains and forecasts (sets [walkforward] device; auto: a CUDA device when torch "
        "sees one)",
    )


def _init_command(sub: Any) -> None:
    """``tradecast init``."""
    p = _command(sub, "init", _cmd_init)
    p.add_argument(
        "name",
        metavar="NAME",
        help="a shipped config: sp500, nasdaq, sp500_returns, sp500_prices, spy_yfinance, universe_csv",
    )
    p.add_argument("--to", default=".", help="the folder to copy into (default: the current one)")


def _report_command(sub: Any) -> None:
    """``tradecast report``."""
    p = _command(sub, "report", _cmd_report)
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--no-tearsheets", action="store_true", help="leave the quantstats tear sheets out")
    p.add_argument(
        "--detail",
        metavar="SYMBOLS",
        help="a universe's assets drawn with figures and tear sheets besides the first four (always drawn), comma "
        "separated; the others get their tables only",
    )
    p.add_argument(
        "--rescore",
        action="store_true",
        help="score the stored forecasts again instead of reading the scores the run kept (scores.pickle, a pickle: "
        "use this for run folders you did not make); kept scores are used only while the run's files, tradecast and "
        "its packages are unchanged",
    )


def _list_command(sub: Any) -> None:
    """``tradecast list``."""
    p = _command(sub, "list", _cmd_list)
    p.add_argument("--root", default="runs", help="the folder holding run folders (default: runs)")


def _compare_command(sub: Any) -> None:
    """``tradecast compare``."""
    p = _command(sub, "compare", _cmd_compare)
    p.add_argument("run_a", metavar="RUN_A")
    p.add_argument("run_b", metavar="RUN_B")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tradecast`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    with warnings.catch_warnings():
        # DataWarnings are part of what a user must see: print them plainly.
        warnings.simplefilter("always", DataWarning)
        # Old spellings in a config still work; the user should see the new ones.
        warnings.simplefilter("default", TradecastDeprecationWarning)
        warnings.showwarning = lambda message, category, *a, **k: print(f"warning: {message}", file=sys.stderr)
        try:
            return args.func(args)
        except TradecastError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS):
                raise
            what = {
                errno.ENOSPC: "the disk is full",
                errno.EDQUOT: "the disk quota is used up",
                errno.EACCES: "permission denied",
                errno.EROFS: "the file system is read-only",
            }[exc.errno]
            print(
                f"error: {what} ({exc.filename or exc}). Every file is written to a temporary name and renamed when "
                "whole, so nothing half-written is left to be read later. Hint: free space or choose another --root "
                "/ --run-dir, then tradecast run --resume to go on from the finished folds.",
                file=sys.stderr,
            )
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
