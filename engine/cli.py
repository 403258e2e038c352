"""The ``tradecast`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import warnings
from collections.abc import Sequence

from engine import __version__
from engine.config import ConfigError, RunConfig, load_config
from signals.errors import DataError, DataWarning

__all__ = ["main", "build_parser"]

_EPILOG = """\
examples:
  tradecast data embedded:sp500                 summary of the S&P 500 shipped with arch
  tradecast data yfinance:AAPL,MSFT --start 2015-01-01
  tradecast data csv:prices.csv --fill ffill    your own file, gaps carried forward
  tradecast run                                 the default job (configs/sp500.toml)
  tradecast run configs/nasdaq.toml

Run 'tradecast COMMAND --help' for a command's options.
"""


def _cmd_data(args: argparse.Namespace) -> int:
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
    import time

    import pandas as pd

    from engine.job import describe, forecast, leaderboard, prepare, report, trade

    config = load_config(args.config) if args.config else RunConfig()
    print(f"tradecast {__version__}: run '{config.name}'" + (f" from {args.config}" if args.config else " (built-in default, as configs/sp500.toml)"))
    t0 = time.perf_counter()
    prepared = prepare(config)
    print(describe(prepared))
    wf = config.walkforward
    n_folds = sum(len(wf.splitter().split(f.index)) for f in prepared.features.values())
    print(f"\nwalk-forward: {len(config.forecasters)} models x {n_folds} folds, out of sample from {wf.start}, refit every {wf.refit_every}, {wf.warm_start} starts, n_jobs={wf.n_jobs}")
    run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    result = forecast(prepared, run_dir=run_dir)
    table = leaderboard(result)
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
        print("\nout-of-sample losses (QLIKE against the realized-variance target; lower is better)")
        print(table.to_string())
    st = config.strategy
    tables, backtests = trade(prepared, result)
    for sym, strat in tables.items():
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
            print(f"\nstrategies on {sym}: {100 * st.target_vol:g} % vol target (leverage cap {st.max_leverage:g}) and a regime rule "
                  f"(invested below the trailing {100 * st.regime_quantile:g}th percentile of forecast volatility), {st.fees_bps:g} bp costs")
            print(strat.to_string())
    path = report(prepared, result, backtests, tables, run_dir / "report.html", tearsheets=not args.no_tearsheets)
    print(f"\nreport: {path.resolve()}")
    print(f"\ndone in {time.perf_counter() - t0:.1f} s")
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

    p = sub.add_parser(
        "data",
        help="load a data source, validate it and print a summary",
        description="Load a source, validate it (a clear error for bad data, never a silent fix) and print rows, "
        "dates, symbols, gaps and annualised volatility by realized-variance estimator.",
        epilog="examples:\n  tradecast data embedded:nasdaq\n  tradecast data yfinance:SPY --start 2010-01-01\n"
        "  tradecast data csv:~/data/universe.csv --fill ffill\n\nsources: embedded:sp500, embedded:nasdaq, "
        "embedded:vix, yfinance:TICKER[,TICKER...], csv:PATH, parquet:PATH",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", help="e.g. embedded:sp500, yfinance:SPY, csv:PATH, parquet:PATH")
    p.add_argument("--start", help="first date kept (inclusive), e.g. 2008-01-01")
    p.add_argument("--end", help="last date kept (inclusive)")
    p.add_argument("--fill", choices=["error", "ffill"], default="error", help="missing values inside the data: refuse (default) or carry the previous close forward")
    p.add_argument("--no-adjust", action="store_true", help="keep unadjusted prices (default: split/dividend adjusted)")
    p.add_argument("--cache-dir", help="yfinance cache folder (default ~/.cache/tradecast/yfinance)")
    p.add_argument("--refresh", action="store_true", help="download again even if the yfinance cache has a copy")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser(
        "run",
        help="run a job from a TOML config (default: embedded S&P 500)",
        description="Run the job described by a TOML config: load and validate the data, build features, "
        "forecast walk-forward out of sample and print the loss table. Without a config, the built-in default "
        "job, identical to configs/sp500.toml: embedded S&P 500, Garman-Klass variance target, GARCH, EGARCH, "
        "GJR, HAR, log-HAR, EWMA, LSTM and GRU, yearly refits from 2008.",
        epilog="examples:\n  tradecast run\n  tradecast run configs/nasdaq.toml\n  tradecast run --run-dir runs/sp500   (resumable)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", help="path to a TOML config (default: the built-in sp500 job)")
    p.add_argument("--run-dir", help="the run's folder (default runs/NAME-TIMESTAMP): finished folds and report.html; re-running with the same folder skips finished folds (resume)")
    p.add_argument("--no-tearsheets", action="store_true", help="leave the quantstats tear sheets out of the report (faster, smaller)")
    p.set_defaults(func=_cmd_run)
    return parser


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
        warnings.showwarning = lambda message, category, *a, **k: print(f"warning: {message}", file=sys.stderr)
        try:
            return args.func(args)
        except (DataError, ConfigError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
