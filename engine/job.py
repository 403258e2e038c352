"""The main job, stage by stage: config -> bars -> features -> walk-forward forecasts.

Each stage is a plain function so that scripts and notebooks can run the same
steps as ``tradecast run``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.config import RunConfig
from engine.data import by_symbol, load
from engine.summary import format_summary
from engine.walkforward import WalkForwardResult, walk_forward
from signals.features import feature_frame

__all__ = ["Prepared", "prepare", "describe", "forecast", "leaderboard", "trade", "run_summary", "report"]


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
            f"(annualised vol of the mean {100 * (252 * desc['mean']) ** 0.5:.1f} %)"
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


def leaderboard(result: WalkForwardResult, baseline: str = "loghar") -> pd.DataFrame:
    """Out-of-sample losses per symbol and model, best QLIKE first, with the
    ratio to ``baseline`` where it is among the models."""
    score = result.score()
    if "qlike" in score.columns and baseline in result.models:
        base = score.xs(baseline, level="model")["qlike"]
        score["qlike_vs_" + baseline] = score["qlike"] / base.reindex(score.index.get_level_values("symbol")).to_numpy()
    fit = result.fits.groupby(["symbol", "model"])["fit_seconds"].sum()
    score["fit_seconds"] = fit.reindex(score.index).to_numpy()
    return score.sort_values(["symbol", "qlike" if "qlike" in score.columns else "mse"])


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
            regime_quantile=st.regime_quantile, regime_lookback=st.regime_lookback, fees_bps=st.fees_bps,
        )
    return tables, backtests


def run_summary(prepared: Prepared) -> dict[str, str]:
    """What a reader needs to reproduce a run: config, data, versions, hashes."""
    import json
    import platform
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    from engine import __version__
    from engine.atomic import frame_digest
    from engine.config import to_dict

    bars = prepared.bars
    versions = []
    for pkg in ("numpy", "pandas", "arch", "torch", "scikit-learn", "vectorbt", "quantstats"):
        try:
            versions.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    try:
        here = Path(__file__).resolve().parent  # the checkout tradecast runs from, not the user's folder
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
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


def report(prepared: Prepared, result: WalkForwardResult, backtests: dict, tables: dict, path, *, tearsheets: bool = True):
    """Write the HTML report of a run to ``path``."""
    from reports.html import ReportInputs, write_report

    vix = None
    if prepared.config.data.vix:
        first = next(iter(prepared.features.values()))
        vix = first["vix"] if "vix" in first.columns else None
    inputs = ReportInputs(
        title=f"tradecast: {prepared.config.name}", summary=run_summary(prepared), result=result,
        vix=vix, strategies=backtests, strategy_tables=tables, tearsheets=tearsheets,
    )
    return write_report(inputs, path)
