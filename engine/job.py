"""The main job, stage by stage: config -> bars -> features -> walk-forward forecasts.

Each stage is a plain function so that scripts and notebooks can run the same
steps as ``tradecast run``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.config import RunConfig, StrategyConfig
from engine.data import by_symbol, load
from engine.summary import format_summary
from engine.walkforward import WalkForwardResult, walk_forward
from signals.features import annual_vol, feature_frame

__all__ = ["Prepared", "prepare", "describe", "describe_strategies", "forecast", "leaderboards", "loss_table", "trade", "run_summary", "report", "run_job"]


@dataclass(frozen=True)
class Prepared:
    """Bars and features of a run, before any model is fitted.

    Attributes
    ----------
    bars : DataFrame
        As returned by :func:`engine.data.load`.
    features : dict of str to DataFrame
        One :func:`signals.features.feature_frame` per symbol.
    """

    config: RunConfig
    bars: pd.DataFrame
    features: dict[str, pd.DataFrame]


def prepare(config: RunConfig) -> Prepared:
    """Load and validate the data, then build each symbol's features."""
    d, f = config.data, config.features
    windows = max(max(f.har_lags), f.volume_window) + 1
    bars = load(d.source, start=d.start, end=d.end, fill=d.fill, auto_adjust=d.auto_adjust, cache_dir=d.cache_dir, min_rows=windows)
    vix = load(d.vix, cache_dir=d.cache_dir) if d.vix else None
    features = {
        sym: feature_frame(b, target=f.target, overnight=f.overnight, har_lags=f.har_lags, volume_window=f.volume_window, vix=vix)
        for sym, b in by_symbol(bars).items()
    }
    return Prepared(config=config, bars=bars, features=features)


def describe(prepared: Prepared) -> str:
    """Text summary of the data and feature stage, for the terminal."""
    lines = [format_summary(prepared.bars), ""]
    for sym, frame in prepared.features.items():
        complete = frame.dropna(subset=[c for c in frame.columns if c != "vix"])
        lines.append(f"features for {sym} (target: {frame.attrs['target']})")
        lines.append(f"  columns         {', '.join(frame.columns)}")
        lines.append(f"  usable rows     {len(complete)} of {len(frame)} (the rest are warm-up rows)")
        if "vix" in frame.columns:
            lines.append(f"  vix coverage    {100 * frame.attrs['vix_coverage']:.1f} % of rows")
        desc = frame["rv"].describe()
        lines.append(
            f"  daily variance  mean {desc['mean']:.3g}, median {desc['50%']:.3g}, max {desc['max']:.3g} "
            f"(annualised vol of the mean {100 * annual_vol(desc['mean']):.1f} %)"
        )
    return "\n".join(lines)


def forecast(prepared: Prepared, *, run_dir=None, progress: bool | None = None) -> WalkForwardResult:
    """Walk-forward forecasts of every configured forecaster on every symbol."""
    wf = prepared.config.walkforward
    models = {f.name: f.build() for f in prepared.config.forecasters}
    return walk_forward(
        prepared.features, models, wf.splitter(), n_jobs=wf.n_jobs, executor=wf.executor,
        warm_start=wf.warm_start, pooled=wf.pooled, audit=wf.audit, run_dir=run_dir, progress=progress,
    )


def leaderboards(prepared: Prepared, result: WalkForwardResult, baseline: str = "loghar") -> dict[str, pd.DataFrame]:
    """:func:`reports.metrics.forecast_table` per symbol, for the variance models
    (against ``baseline`` where it is one of them) and the return models, best first."""
    from reports.metrics import forecast_table
    from signals.base import realized_target

    boards = {}
    for sym in result.symbols:
        parts = []
        for kind in ("variance", "return"):
            models = [m for m, f in result.models.items() if (f.target == "variance") == (kind == "variance")]
            if models:
                base = baseline if baseline in models else None
                parts.append(forecast_table(result.for_symbol(sym)[models], realized_target(prepared.features[sym], kind), target=kind, baseline=base))
        boards[sym] = pd.concat(parts)
    return boards


def loss_table(boards: dict[str, pd.DataFrame], result: WalkForwardResult, baseline: str = "loghar") -> pd.DataFrame:
    """The terminal's summary of the leaderboards: losses, the ratio to ``baseline`` and fit seconds."""
    fit = result.fits.groupby(["symbol", "model"])["fit_seconds"].sum()
    cols = ["n", "qlike", "mse", f"qlike_vs_{baseline}"]
    table = pd.concat({sym: b[[c for c in cols if c in b.columns]] for sym, b in boards.items()}, names=["symbol", "model"])
    table["fit_seconds"] = fit.reindex(table.index).to_numpy()
    return table


def trade(prepared: Prepared, result: WalkForwardResult) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """The configured strategies on every variance forecaster, per symbol.

    Returns the strategy tables and the backtests, both by symbol.
    """
    from strategies.evaluate import strategy_table

    st = prepared.config.strategy
    tables, backtests = {}, {}
    for sym in result.symbols:
        fc = result.for_symbol(sym)
        variance_models = [m for m, f in result.models.items() if f.target == "variance"]
        if not variance_models:
            continue
        tables[sym], backtests[sym] = strategy_table(
            prepared.features[sym]["close"], fc[variance_models], target=st.target_vol, max_leverage=st.max_leverage,
            regime_quantile=st.regime_quantile, regime_lookback=st.regime_lookback, fees_bps=st.fees_bps, calibrate=st.calibrate,
            proxy=prepared.features[sym]["rv"], variance_of={m: result.models[m].variance_of for m in variance_models}, smooth=st.smooth,
        )
    return tables, backtests


def describe_strategies(st: StrategyConfig) -> str:
    """One line on how every forecaster is traded (``[strategy]``), for the terminal and the report."""
    scaled = "; forecasts of the rv proxy scaled to return variance, calibrate='proxy'" if st.calibrate == "proxy" else ""
    smoothed = f"; sized on the mean of the last {st.smooth} forecasts" if st.smooth > 1 else ""
    return (f"{100 * st.target_vol:g} % vol target (leverage cap {st.max_leverage:g}{scaled}{smoothed}) and a regime rule "
            f"(invested below the trailing {100 * st.regime_quantile:g}th percentile of forecast volatility), {st.fees_bps:g} bp costs")


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide a run's numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("numpy", "pandas", "arch", "torch", "scikit-learn", "vectorbt", "quantstats", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def git_commit() -> str:
    """The commit of the tradecast checkout in use ("unknown" outside a git checkout)."""
    import subprocess

    here = Path(__file__).resolve().parent  # the checkout tradecast runs from, not the user's folder
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def run_summary(prepared: Prepared) -> dict[str, str]:
    """What a reader needs to reproduce a run: config, data, versions, hashes."""
    import json
    import platform

    from engine import __version__
    from engine.atomic import frame_digest
    from engine.config import to_dict

    bars = prepared.bars
    versions = [f"{pkg} {v}" for pkg, v in package_versions().items()]
    commit = git_commit()
    wf = prepared.config.walkforward
    return {
        "data": f"{bars.attrs.get('source')}: {', '.join(bars.attrs.get('symbols', []))}, {bars.index[0].date()} to {bars.index[-1].date()} ({len(bars)} rows)",
        "target": f"daily {prepared.config.features.target} realized variance",
        "walk-forward": f"out of sample from {wf.start}, refit every {wf.refit_every}, {wf.window} window, {wf.warm_start} starts",
        "models": ", ".join(f.name for f in prepared.config.forecasters),
        "data hash": frame_digest(bars)[:16],
        "tradecast": f"{__version__} (git {commit})",
        "packages": f"Python {platform.python_version()}; " + ", ".join(versions),
        "config": json.dumps(to_dict(prepared.config), separators=(", ", ": ")),
    }


def report(prepared: Prepared, result: WalkForwardResult, backtests: dict, tables: dict, path, *, tearsheets: bool = True, leaderboards=None):
    """Write the HTML report of a run to ``path`` (``leaderboards`` as from :func:`leaderboards`, if at hand)."""
    from reports.html import ReportInputs, write_report

    vix = None
    if prepared.config.data.vix:
        first = next(iter(prepared.features.values()))
        vix = first["vix"] if "vix" in first.columns else None
    inputs = ReportInputs(
        title=f"tradecast: {prepared.config.name}", summary=run_summary(prepared), result=result,
        vix=vix, strategies=backtests, strategy_tables=tables, strategy_note=describe_strategies(prepared.config.strategy),
        tearsheets=tearsheets, leaderboards=leaderboards or {},
    )
    return write_report(inputs, path)


def run_job(config: RunConfig, run_dir, *, tearsheets: bool = True, progress: bool | None = None, echo=print):
    """The whole job into a run folder (see :mod:`engine.store`); returns the report path.

    Safe to interrupt: finished folds stay in ``run_dir/folds`` and calling this
    again with the same folder (``tradecast run --resume``) fits only the rest.
    """
    import time

    from engine import __version__, store
    from engine.atomic import write_bytes_atomic
    from engine.config import to_dict

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(run_dir / "config.toml", store.to_toml(to_dict(config)).encode("utf-8"))
    packages = package_versions()
    seeds = {f.name: dict(f.params).get("seed", 0) for f in config.forecasters if "seed" in f.build().get_params()}
    previous = store.read_json(run_dir / "manifest.json") if (run_dir / "manifest.json").exists() else {}
    store.write_manifest(
        run_dir, name=config.name, status="running", started=previous.get("started", time.strftime("%Y-%m-%dT%H:%M:%S")),
        tradecast=__version__, git=git_commit(), packages=packages, models=[f.name for f in config.forecasters], seeds=seeds,
    )
    timings = {}
    try:
        t = time.perf_counter()
        prepared = prepare(config)
        timings["data_and_features"] = time.perf_counter() - t
        summary = run_summary(prepared)
        store.write_manifest(run_dir, data=summary["data"], data_hash=summary["data hash"])
        echo(describe(prepared))
        wf = config.walkforward
        n_folds = sum(len(wf.splitter().split(f.index)) for f in prepared.features.values())
        echo(f"\nwalk-forward: {len(config.forecasters)} models x {n_folds} folds, out of sample from {wf.start}, refit every "
             f"{wf.refit_every}, {wf.warm_start} starts, n_jobs={wf.n_jobs}; finished folds go to {run_dir / 'folds'}")
        t = time.perf_counter()
        result = forecast(prepared, run_dir=run_dir, progress=progress)
        timings["walk_forward"] = time.perf_counter() - t
        result.forecasts.to_parquet(run_dir / "forecasts.parquet")

        t = time.perf_counter()
        boards = leaderboards(prepared, result)
        rows = [{"symbol": sym, "model": m, **r} for sym, b in boards.items() for m, r in b.to_dict(orient="index").items()]
        tables, backtests = trade(prepared, result)
        timings["metrics_and_strategies"] = time.perf_counter() - t
        strat_rows = [{"symbol": sym, "model": m, "strategy": s, **r} for sym, tab in tables.items() for (m, s), r in tab.to_dict(orient="index").items()]
        store.write_json(run_dir / "metrics.json", {"leaderboard": rows, "strategies": strat_rows})
        weights = {f"{sym}/{m}/{s}": r.weights for sym, bt in backtests.items() for (m, s), r in bt.items()}
        rets = {f"{sym}/{m}/{s}": r.returns for sym, bt in backtests.items() for (m, s), r in bt.items()}
        rets.update({f"{sym}/buy_and_hold": next(iter(bt.values())).benchmark for sym, bt in backtests.items() if bt})
        if weights:
            pd.DataFrame(weights).to_parquet(run_dir / "weights.parquet")
            pd.DataFrame(rets).to_parquet(run_dir / "returns.parquet")

        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
            echo("\nout-of-sample losses (QLIKE against the realized-variance target; lower is better)")
            echo(loss_table(boards, result).to_string())
        st = config.strategy
        for sym, strat in tables.items():
            with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
                echo(f"\nstrategies on {sym}: {describe_strategies(st)}")
                echo(strat.to_string())
        t = time.perf_counter()
        path = report(prepared, result, backtests, tables, run_dir / "report.html", tearsheets=tearsheets, leaderboards=boards)
        timings["report"] = time.perf_counter() - t
    except KeyboardInterrupt:
        store.write_manifest(run_dir, status="interrupted", timings=timings)
        raise
    store.write_manifest(run_dir, status="complete", finished=time.strftime("%Y-%m-%dT%H:%M:%S"), timings=timings)
    return path
