"""The main job, stage by stage: config -> bars -> features -> walk-forward forecasts.

Each stage is a plain function so that scripts and notebooks can run the same
steps as ``tradecast run``.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from engine.config import RunConfig, StrategyConfig
from engine.data import by_symbol, load
from engine.scores import SCORES_FILE, load_scores, save_scores
from engine.splits import WalkForward
from engine.summary import format_summary
from engine.walkforward import WalkForwardResult, walk_forward
from signals.features import annual_vol, feature_frame
from strategies.portfolio import NO_PORTFOLIO, PortfolioResult

__all__ = [
    "Outcome",
    "Prepared",
    "check_columns",
    "describe",
    "describe_strategies",
    "forecast",
    "leaderboards",
    "loss_table",
    "portfolio_window_line",
    "prepare",
    "render_run",
    "report",
    "run_job",
    "run_summary",
    "trade",
    "trade_forecasts",
    "trade_portfolio",
    "trade_returns",
    "universe_boards",
    "window_line",
]


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
    bars = load(
        d.source,
        start=d.start,
        end=d.end,
        fill=d.fill,
        auto_adjust=d.auto_adjust,
        cache_dir=d.cache_dir,
        min_rows=windows,
        intraday=d.intraday,
        every=d.every,
        intraday_overnight=d.intraday_overnight,
    )
    vix = load(d.vix, cache_dir=d.cache_dir) if d.vix else None
    per_symbol = by_symbol(bars)
    _check_estimator(f.estimator, per_symbol)
    features = {
        sym: feature_frame(
            b, estimator=f.estimator, overnight=f.overnight, har_lags=f.har_lags, volume_window=f.volume_window, vix=vix
        )
        for sym, b in per_symbol.items()
    }
    check_columns(config, features)
    return Prepared(config=config, bars=bars, features=features)


def _check_estimator(estimator: str, bars: dict[str, pd.DataFrame]) -> None:
    """The estimator's columns (open, high and low for a range estimator, ``realized`` for
    intraday measures) must be there: say so in config keys, before any feature is built.
    """
    if estimator == "close_to_close":
        return
    needed = ("realized",) if estimator == "realized" else ("open", "high", "low")
    for sym, b in bars.items():
        missing = [c for c in needed if c not in b.columns or b[c].isna().all()]
        if not missing:
            continue
        if estimator == "realized":
            raise ConfigError(
                f'[features] estimator = "realized" reads the realized variance of intraday bars, but {sym} has '
                'daily bars. Hint: a range estimator such as "garman_klass", or intraday bars with [data] intraday '
                "= true."
            )
        raise ConfigError(
            f"[features] estimator = {estimator!r} needs open, high and low bars, but {sym} has no "
            f'{", ".join(missing)} (close-only data). Hint: [features] estimator = "close_to_close" in the '
            "config, or load OHLC bars."
        )


def check_columns(config: RunConfig, features: dict[str, pd.DataFrame]) -> None:
    """Every forecaster's input columns exist in every symbol's features, checked
    before any fit; the message names the ``[[forecasters]]`` table and the key to change.
    """
    for spec in config.forecasters:
        model = spec.build()
        needed = model._needed() if hasattr(model, "_needed") else []
        for sym, frame in features.items():
            missing = [c for c in needed if c not in frame.columns or frame[c].isna().all()]
            if missing:
                usable = [c for c in needed if c not in missing]
                hint = (
                    f"features = {str(usable).replace(chr(39), chr(34))} in that [[forecasters]] table"
                    if "features" in model.get_params() and usable
                    else "another forecaster, or data that has it"
                )
                raise ConfigError(
                    f"forecaster {spec.name!r} (type {spec.type!r}) reads {', '.join(missing)}, which the data of "
                    f"{sym} does not have (it has {', '.join(c for c in frame.columns if frame[c].notna().any())}). "
                    f"Hint: {hint}; volume_ratio needs volume bars, vix a [data] vix source."
                )


def describe(prepared: Prepared) -> str:
    """Text summary of the data and feature stage, for the terminal."""
    lines = [format_summary(prepared.bars), ""]
    for sym, frame in prepared.features.items():
        complete = frame.dropna(subset=[c for c in frame.columns if c != "vix"])
        lines.append(f"features for {sym} (target: {frame.attrs['estimator']})")
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


@functools.lru_cache(maxsize=256)
def _count_folds_of(splitter: WalkForward, dates: bytes) -> int:
    return len(splitter.split(pd.DatetimeIndex(np.frombuffer(dates, dtype="datetime64[ns]"))))


def _count_folds(splitter: WalkForward, index: pd.DatetimeIndex) -> int:
    """Folds of ``splitter`` on ``index``, counted once per calendar: a universe's assets
    mostly share one, and a daily schedule's split of 2,800 days costs about 20 ms.
    """
    return _count_folds_of(splitter, index.as_unit("ns").asi8.tobytes())


def own_schedules(config: RunConfig) -> str:
    """The forecasters with a refit schedule of their own, in words ("" when none has one)."""
    parts = []
    for f in config.forecasters:
        schedule = config.walkforward.schedule_for(f)  # the one place a schedule is resolved
        if schedule is not None:
            s = schedule.splitter
            n = s.refit_every
            every = "every row" if n == 1 else f"every {n} rows" if isinstance(n, int) else f"every {n}"
            warm = (schedule.refits or config.walkforward.refits) == "warm"
            parts.append(
                f"{f.name} {'updated from its last fit' if warm else 'refit'} {every} on a"
                f"{'n' if s.window == 'expanding' else ''} {s.window} window"
                + (f" of {s.train_length} rows" if s.window == "rolling" else "")
                + (f", refit from scratch every {schedule.cold_every}" if warm and schedule.cold_every else "")
            )
    return "; own schedules: " + ", ".join(parts) if parts else ""


def forecast(prepared: Prepared, *, run_dir=None, progress: bool | None = None) -> WalkForwardResult:
    """Walk-forward forecasts of every configured forecaster on every symbol."""
    wf = prepared.config.walkforward
    models = {f.name: f.build(wf.device) for f in prepared.config.forecasters}
    schedules = {f.name: s for f in prepared.config.forecasters if (s := wf.schedule_for(f)) is not None}
    return walk_forward(
        prepared.features,
        models,
        wf.splitter(),
        n_jobs=wf.n_jobs,
        executor=wf.executor,
        refits=wf.refits,
        pooled=wf.pooled,
        audit=wf.audit,
        run_dir=run_dir,
        progress=progress,
        schedules=schedules,
        ray_address=wf.ray_address,
        combinations={c.name: c.build() for c in prepared.config.combinations},
    )


#: The usual range of a log model's retransformation factor, by the ``rv`` estimator: about
#: 3.6 (a chi-square's mean over its geometric mean) for squared close-to-close returns, 1.1-1.5
#: for a range estimator. Above it a fit's residuals are wide; far above it (2.5 times the top)
#: the factor is driven by a few outliers and the model's level is unreliable.
SMEARING_RANGE = {"close_to_close": (1.0, 6.0), "default": (1.0, 2.5)}
#: Mean forecast over mean realised variance, out of sample, outside which a model's level is off.
LEVEL_RANGE = (0.5, 2.0)


def baselines(result: WalkForwardResult) -> dict[int, str]:
    """The strongest econometric model of the run per variance horizon
    (:func:`reports.metrics.strongest_baselines`): the one baseline of every
    leaderboard, universe board, regime table and headline of the run.
    """
    from reports.metrics import strongest_baselines

    return strongest_baselines({sym: result.for_symbol(sym) for sym in result.symbols}, result.frames, result.models)


def _smearing_flag(value: float, estimator: str) -> str:
    """A log model's retransformation factor in words, by severity ("" when usual)."""
    low, high = SMEARING_RANGE.get(estimator, SMEARING_RANGE["default"])
    if not np.isfinite(value) or low - 1e-9 <= value <= high:
        return ""
    if value > 2.5 * high:
        return (
            f"warning: smearing factor {value:.3g}, far above the usual {low:g}-{high:g} for a {estimator} target: a "
            "few outliers drive the log model's level, which is unreliable"
        )
    return (
        f"note: smearing factor {value:.3g}, above the usual {low:g}-{high:g} for a {estimator} target: wide residuals"
    )


def leaderboards(result: WalkForwardResult, baseline: str | dict[int, str] | None = None) -> dict[str, pd.DataFrame]:
    """:func:`reports.metrics.leaderboard` per symbol: one table per (target kind,
    horizon) group, each model scored against its own target, DM tests and the
    model confidence set within its group only; stacked, best first in each group.

    The baseline of each variance group is the run's strongest econometric model
    (:func:`baselines`) unless ``baseline`` names one. Variance models get
    ``level``, their mean forecast over the mean realised variance, and models
    with a retransformation factor (log-HAR) ``smearing``, its largest value over
    the folds; ``flag`` says, by severity ("warning: ..." or "note: ..."), when
    either lies outside its usual range (:data:`LEVEL_RANGE` for models of the
    target itself, :data:`SMEARING_RANGE`).
    """
    from reports.metrics import leaderboard

    base = baselines(result) if baseline is None else baseline
    boards = {}
    for sym in result.symbols:
        board = leaderboard(result.for_symbol(sym), result.frames[sym], result.models, baseline=base)
        flags = pd.Series("", index=board.index, dtype=object)
        if "level" in board.columns:
            lo, hi = LEVEL_RANGE
            for m, v in board["level"].items():
                # a model of the variance of close-to-close returns (GARCH, EWMA) sits above a range
                # estimator's target by design (about 1.6 times on the S&P 500): its level is not a fault
                if getattr(result.models.get(m), "variance_of", "target") != "target":
                    continue
                if np.isfinite(v) and not lo <= v <= hi:
                    flags[m] = (
                        f"warning: forecasts average {v:.2g} times the realised variance out of sample: the "
                        "model's level is off"
                    )
        if "smearing" in result.fits.columns:
            smear = result.fits["smearing"].xs(sym, level="symbol").groupby(level="model").max().reindex(board.index)
            board["smearing"] = smear
            estimator = str(result.frames[sym].attrs.get("estimator", "default"))
            for m, v in smear.items():
                text = _smearing_flag(float(v), estimator)
                if text and (not flags[m] or text.startswith("warning")):
                    flags[m] = "; ".join(t for t in (flags[m], text) if t)
        board["flag"] = flags
        boards[sym] = board
    return boards


def universe_boards(
    result: WalkForwardResult, baseline: str | dict[int, str] | None = None
) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """For a universe, :func:`reports.universe.universe_leaderboard` per variance
    horizon that has the baseline (by default the run's strongest econometric
    model, :func:`baselines`): QLIKE ratios per asset, assets beaten (with DM at
    5 %), mean rank and the panel DM test. An asset on which the baseline's mean
    forecast lies outside :data:`LEVEL_RANGE` of the mean realised variance (a
    broken log model) is left out, and named in ``summary.attrs["excluded"]``
    with that level: against a broken baseline every model wins there, and one
    such asset would decide the panel test. Empty for one asset.

    Returns (summary, ratios) by horizon.
    """
    from reports.metrics import forecast_groups, per_date_losses
    from reports.universe import universe_leaderboard
    from signals.base import realized_target

    if len(result.symbols) < 2:
        return {}
    base = baselines(result) if baseline is None else baseline
    out = {}
    lo, hi = LEVEL_RANGE
    for (kind, h), names in forecast_groups(result.models).items():
        name = base.get(h) if isinstance(base, dict) else base
        if kind != "variance" or name not in names:
            continue
        losses, excluded = {}, {}
        for sym in result.symbols:
            fc = result.for_symbol(sym)[names].astype(float)
            y = realized_target(result.frames[sym], "variance", h).reindex(fc.index)
            ok = fc[name].notna() & y.notna() & (y > 0)
            level = float(fc.loc[ok, name].mean() / y[ok].mean()) if ok.any() else np.nan
            # against a baseline whose level is off on an asset, every model "wins" there: that asset
            # would decide the panel test, so it is left out of the board (and named)
            if np.isfinite(level) and not lo <= level <= hi:
                excluded[sym] = level
                continue
            losses[sym] = per_date_losses(fc, y)
        if len(losses) < 2:
            continue
        summary, ratios = universe_leaderboard(losses, str(name))
        summary.attrs["excluded"] = excluded
        out[h] = (summary, ratios)
    return out


#: The columns the terminal shows per target kind, and the line above each table.
_TERMINAL = {
    "variance": (
        ["target", "horizon", "n", "qlike", "mse", "level", "qlike_vs_*"],
        "out-of-sample losses, each model against its own target and horizon (QLIKE; lower is better)",
    ),
    "return": (
        [
            "horizon",
            "n",
            "mse",
            "r2_vs_zero",
            "r2_vs_mean",
            "direction",
            "pt_pvalue",
            "always_long",
            "dm_pvalue_vs_zero",
            "in_mcs",
        ],
        "return forecasts (r2_vs_zero, r2_vs_mean: out-of-sample R² against the zero forecast and the historical "
        "mean, positive = beats it; pt_pvalue: Pesaran-Timmermann test of the signs; always_long: the hit rate of "
        "always long)",
    ),
    "absolute_return": (
        ["horizon", "n", "mse", "mae", "r2_vs_mean", "mz_slope", "dm_pvalue_vs_mean", "in_mcs"],
        "absolute-return forecasts (r2_vs_mean: out-of-sample R² against the historical mean absolute return)",
    ),
    "price": (
        ["horizon", "n", "rmse", "mape", "r2", "skill_vs_rw", "direction", "always_up", "dm_pvalue_vs_rw", "in_mcs"],
        "price forecasts (a level R² near 1 is what the random walk also scores; skill_vs_rw: 1 - MSE / the random "
        "walk's, positive = beats it; direction: of the change from the last close, against always_up: the share "
        "of moves that were up, what always forecasting a rise scores)",
    ),
}


def loss_table(boards: dict[str, pd.DataFrame], result: WalkForwardResult, kind: str = "variance") -> pd.DataFrame:
    """The terminal's summary of the leaderboards of one target kind: the columns that
    say whether a model beats its baseline (the run's strongest econometric model,
    zero and the historical mean, or the random walk) and its fit seconds (a pooled
    fit's time divided among the assets it served); empty when no model has that kind.
    """

    def columns(board: pd.DataFrame) -> list[str]:
        out = []
        for c in _TERMINAL[kind][0]:
            out += sorted(x for x in board.columns if x.startswith(c[:-1])) if c.endswith("*") else [c]
        return [c for c in out if c in board.columns]

    parts = {sym: b.loc[b["target"] == kind, columns(b)] for sym, b in boards.items()}
    parts = {sym: b for sym, b in parts.items() if len(b)}
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, names=["symbol", "model"])
    table["fit_seconds"] = result.fits.groupby(["symbol", "model"])["fit_seconds"].sum().reindex(table.index).to_numpy()
    return table


def trade(prepared: Prepared, result: WalkForwardResult) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """The configured strategies (``[strategy]``) on every variance forecaster, per
    symbol (see :func:`trade_forecasts`).
    """
    return trade_forecasts(prepared.config.strategy, result)


def trade_forecasts(spec: StrategyConfig, result: WalkForwardResult) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """``spec`` (a :class:`strategies.spec.StrategySpec`) on every variance
    forecaster, per symbol: exactly what
    ``strategy_table(frame["close"], forecasts, spec, proxy=frame["rv"], variance_of=result.variance_of())``
    gives a script.

    Returns the strategy tables and the backtests, both by symbol. The backtests keep
    their measured series and statistics but not vectorbt's ``Portfolio`` object
    (``portfolio=None``): nothing downstream reads it, and one per asset held gigabytes
    in a universe of hundreds.
    """
    import dataclasses

    from strategies.evaluate import strategy_table

    kinds = result.variance_of()
    tables: dict[str, pd.DataFrame] = {}
    backtests: dict[str, dict] = {}
    if not kinds:
        return tables, backtests
    for sym in result.symbols:
        frame = result.frames[sym]
        fc = result.for_symbol(sym)[list(kinds)]
        tables[sym], full = strategy_table(frame["close"], fc, spec, proxy=frame["rv"], variance_of=kinds)
        backtests[sym] = {k: dataclasses.replace(r, portfolio=None) for k, r in full.items()}
    return tables, backtests


def trade_returns(spec: StrategyConfig, result: WalkForwardResult) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """``spec.threshold`` on every return and price forecaster (a price forecast by
    the log return it implies from the last close), per symbol; see
    :func:`strategies.evaluate.threshold_table`.

    Returns the threshold tables and backtests (by model), both by symbol.
    """
    from signals.base import implied_return
    from strategies.calibration import calibrated
    from strategies.evaluate import threshold_table

    names = [m for m, f in result.models.items() if f.target in ("return", "price")]
    tables: dict[str, pd.DataFrame] = {}
    backtests: dict[str, dict] = {}
    if not names:
        return tables, backtests
    th = spec.threshold
    for sym in result.symbols:
        frame, fc = result.frames[sym], result.for_symbol(sym)
        returns = fc[names].astype(float).copy()
        for m in names:
            if result.models[m].target == "price":
                returns[m] = implied_return(frame, returns[m])
        variance = None
        if th.variance_model:
            variance = fc[th.variance_model].astype(float)
            if spec.calibrate == "proxy" and result.variance_of().get(th.variance_model) == "target":
                variance = calibrated(variance, frame["close"], frame["rv"])
        tables[sym], backtests[sym] = threshold_table(frame["close"], returns, spec, variance_forecast=variance)
    return tables, backtests


def trade_portfolio(spec: StrategyConfig, result: WalkForwardResult) -> PortfolioResult:
    """``spec.portfolio`` on every variance forecaster of a universe: one shared-cash
    portfolio per (model, scheme) and the equal-weight portfolio, on the same days
    (:func:`strategies.portfolio.portfolio_table`); :data:`strategies.portfolio.NO_PORTFOLIO` for one asset.

    Returns the table, the backtests and the weights (with ex-ante risk shares), by (model, scheme).
    """
    from strategies.portfolio import portfolio_table

    kinds = result.variance_of()
    if len(result.symbols) < 2 or not kinds:
        return NO_PORTFOLIO
    forecasts = {
        m: pd.concat({sym: result.for_symbol(sym)[m] for sym in result.symbols}, axis=1).astype(float) for m in kinds
    }
    return portfolio_table(result.frames, forecasts, spec.portfolio, spec, variance_of=kinds)


def window_line(table: pd.DataFrame) -> str:
    """Where a strategy table was scored: its common window, for the terminal and the report."""
    first, last = table.attrs["window"]
    return (
        f"every strategy and buy and hold on the same {table.attrs['days']} days, {first.date()} to {last.date()} "
        f"(the days on which every strategy holds a position); sharpe_vs_bh: Sharpe minus buy and hold's, "
        f"with its block-bootstrap standard error"
    )


def universe_line(summary: pd.DataFrame) -> str:
    """What the universe leaderboard's columns mean, for the terminal and the report."""
    size = summary.attrs.get("size", 0.05)
    excluded = summary.attrs.get("excluded") or {}
    left_out = (
        "; left out, the baseline's level being off there (mean forecast over mean realised variance): "
        + ", ".join(f"{sym} ({v:.2g})" for sym, v in excluded.items())
        if excluded
        else ""
    )
    return (
        f"QLIKE over {summary.attrs.get('baseline')}'s per asset (the strongest econometric model of the run; "
        f"mean_ratio, median_ratio; below 1 is better); beats: assets with a ratio below 1; beats_dm / loses_dm: "
        f"significantly better / worse (Diebold-Mariano at {100 * size:g} %); mean_rank among the models by QLIKE "
        f"(1 = best); panel_dm: the Diebold-Mariano test on the cross-sectional mean loss difference{left_out}"
    )


def portfolio_window_line(table: pd.DataFrame) -> str:
    """Where the portfolio table was scored, for the terminal and the report."""
    first, last = table.attrs["window"]
    return (
        f"every portfolio and the equal-weight one (rebalanced daily, no costs) on the same {table.attrs['days']} "
        f"days, {first.date()} to {last.date()}; sharpe_vs_ew: Sharpe minus equal weight's, with its block-bootstrap "
        f"standard error; forecast_vol: ex-ante annual vol of the weights held; max_risk_share: the largest "
        f"asset's ex-ante share of the variance, mean over days"
    )


def describe_strategies(st: StrategyConfig) -> str:
    """One line on how every forecaster is traded (``[strategy]``), for the terminal and the report."""
    return st.describe()


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide a run's numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("numpy", "pandas", "arch", "torch", "scikit-learn", "vectorbt", "quantstats", "pyarrow"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out


def git_commit() -> str:
    """The commit of the tradecast checkout in use ("unknown" outside a git checkout)."""
    import subprocess

    here = Path(__file__).resolve().parent  # the checkout tradecast runs from, not the user's folder
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def targets_line(config: RunConfig) -> str:
    """What the run's models forecast, in words: each target kind once, with its horizons."""
    kinds: dict[str, set[int]] = {}
    for f in config.forecasters:
        m = f.build()
        kinds.setdefault(str(m.target), set()).add(int(m.horizon))
    words = {
        "variance": f"the daily {config.features.estimator} realized variance",
        "return": "the log return",
        "absolute_return": "the absolute log return",
        "price": "the close",
    }
    parts = []
    for kind, hs in kinds.items():
        days = ", ".join(str(h) for h in sorted(hs))
        parts.append(f"{words.get(kind, kind)} ({days} day{'s' if sorted(hs) != [1] else ''} ahead)")
    return "; ".join(parts)


def _network_devices(model: Any) -> list[str]:
    """The ``device`` of every network in ``model`` (itself, or the forecasters it holds)."""
    own = [str(model.device)] if "device" in model.get_params() else []
    held = [d for k in getattr(type(model), "components", {}) for d in _network_devices(getattr(model, k))]
    return own + held


def device_line(config: RunConfig) -> str | None:
    """Where the run's networks train and forecast, in words (None without a network): the
    device ``auto`` resolves to here (a CUDA device when torch sees one), with its name.
    """
    wanted = {d for f in config.forecasters for d in _network_devices(f.build(config.walkforward.device))}
    if not wanted:
        return None
    import os

    import torch

    cuda = torch.cuda.is_available()
    used = {"cuda" if d == "cuda" or (d == "auto" and cuda) else "cpu" for d in wanted}
    words = []
    if "cuda" in used:
        words.append(f"cuda ({torch.cuda.get_device_name(0)})" if cuda else "cuda (not seen by torch)")
    if "cpu" in used:
        words.append(f"cpu ({os.cpu_count()} cores, torch {torch.__version__})")
    return " and ".join(words)


def run_summary(prepared: Prepared) -> dict[str, str]:
    """What a reader needs to reproduce a run: config, data, versions, hashes."""
    import platform

    from core.atomic import frame_digest
    from engine import __version__
    from engine.config import to_annotated_toml

    bars = prepared.bars
    versions = [f"{pkg} {v}" for pkg, v in package_versions().items()]
    commit = git_commit()
    wf = prepared.config.walkforward
    return {
        "data": f"{bars.attrs.get('source')}: {', '.join(bars.attrs.get('symbols', []))}, {bars.index[0].date()} to "
        f"{bars.index[-1].date()} ({len(bars)} rows)",
        "target": targets_line(prepared.config),
        "walk-forward": f"{wf.describe()}, {wf.window} window, {wf.refits} refits" + own_schedules(prepared.config),
        "models": ", ".join(f.name for f in prepared.config.forecasters),
        **({"networks on": device} if (device := device_line(prepared.config)) else {}),
        "data hash": frame_digest(bars)[:16],
        "tradecast": f"{__version__} (git {commit})",
        "packages": f"Python {platform.python_version()}; " + ", ".join(versions),
        "config": to_annotated_toml(prepared.config),
    }


def report(
    prepared: Prepared,
    result: WalkForwardResult,
    backtests: dict,
    tables: dict,
    path,
    *,
    tearsheets: bool = True,
    leaderboards=None,
):
    """Write the HTML report of a run to ``path`` (``leaderboards`` as from :func:`leaderboards`, if at hand)."""
    outcome = _outcome(prepared.config, result, leaderboards or {}, tables, backtests)
    return _write_report(prepared.config, result, outcome, path, run_summary(prepared), tearsheets=tearsheets)


@dataclass(frozen=True)
class Outcome:
    """What a run's forecasts gave, by symbol: leaderboards, the variance strategies
    (tables and backtests by (model, strategy)) and the threshold strategies of the
    return models (tables and backtests by model); for a universe, the portfolio
    (:func:`trade_portfolio`'s table, backtests and weights).
    """

    boards: dict
    tables: dict
    backtests: dict
    threshold_tables: dict
    threshold_backtests: dict
    portfolio: PortfolioResult = NO_PORTFOLIO
    universe: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)
    risk: dict = field(default_factory=dict)


def _write_report(
    config: RunConfig,
    result: WalkForwardResult,
    outcome: Outcome,
    path,
    summary: dict,
    *,
    tearsheets: bool,
    detail: list[str] | None = None,
):
    from reports.html import ReportInputs, write_report

    vix = None
    if config.data.vix:
        first = next(iter(result.frames.values()))
        vix = first["vix"] if "vix" in first.columns else None
    st = config.strategy
    inputs = ReportInputs(
        title=f"tradecast: {config.name}",
        summary=summary,
        result=result,
        baselines=outcome.baselines,
        vix=vix,
        strategies=outcome.backtests,
        strategy_tables=outcome.tables,
        strategy_note=describe_strategies(st),
        tearsheets=tearsheets,
        leaderboards=outcome.boards,
        threshold_tables=outcome.threshold_tables,
        threshold_strategies=outcome.threshold_backtests,
        universe=outcome.universe,
        universe_note=universe_line(next(iter(outcome.universe.values()))[0]) if outcome.universe else "",
        portfolio_table=outcome.portfolio.table,
        portfolio=outcome.portfolio.backtests,
        portfolio_weights=outcome.portfolio.weights,
        portfolio_note=(
            f"{st.portfolio.describe()}. Scored: {portfolio_window_line(outcome.portfolio.table)}."
            if outcome.portfolio.table is not None
            else ""
        ),
        detail=detail,
        risk={sym: table for sym, (table, _) in outcome.risk.items()},
        risk_tails={sym: tails for sym, (_, tails) in outcome.risk.items()},
        risk_note=risk_methods(config) if outcome.risk else "",
        cache_dir=Path(path).parent / "tearsheets",
        threshold_note=st.threshold.describe()
        + f"; {st.fees_bps:g} bp costs"
        + (f", {st.slippage_bps:g} bp slippage" if st.slippage_bps else ""),
    )
    return write_report(inputs, path)


def _score_and_trade(config: RunConfig, result: WalkForwardResult) -> Outcome:
    base = baselines(result)
    return _outcome(config, result, leaderboards(result, base), *trade_forecasts(config.strategy, result), base=base)


def _outcome(
    config: RunConfig,
    result: WalkForwardResult,
    boards: dict,
    tables: dict,
    backtests: dict,
    *,
    base: dict[int, str] | None = None,
) -> Outcome:
    """The :class:`Outcome` of the leaderboards and variance strategies given: the
    threshold strategies, the portfolio and the universe leaderboard added, all
    against the run's strongest econometric model (``base``, :func:`baselines`).
    """
    base = baselines(result) if base is None else base
    th_tables, th_backtests = trade_returns(config.strategy, result)
    return Outcome(
        boards,
        tables,
        backtests,
        th_tables,
        th_backtests,
        trade_portfolio(config.strategy, result),
        universe_boards(result, base),
        base,
        risk_tables(config, result, base),
    )


def risk_tables(config: RunConfig, result: WalkForwardResult, base: dict[int, str]) -> dict[str, tuple]:
    """``[risk]``: VaR and ES of every one-day variance forecaster and their backtests,
    per symbol (:func:`reports.tail_tests.risk_table`: the table and each model's
    tail forecasts), against the run's strongest one-day econometric model.
    """
    from reports.tail_tests import risk_table

    rc = config.risk
    kinds = result.variance_of()
    models = [m for m in kinds if getattr(result.models[m], "horizon", 1) == 1]
    if not rc.methods or not models:
        return {}
    out = {}
    for sym in result.symbols:
        frame = result.frames[sym]
        out[sym] = risk_table(
            frame["close"],
            result.for_symbol(sym)[models],
            proxy=frame["rv"],
            variance_of=kinds,
            calibrate=config.strategy.calibrate,
            levels=rc.levels,
            methods=rc.methods,
            min_history=rc.min_history,
            baseline=base.get(1),
        )
    return out


def risk_methods(config: RunConfig) -> str:
    """How the VaR and ES of a run are made."""
    names = {"normal": "normal", "t": "Student t", "fhs": "filtered historical simulation"}
    return (
        f"one-day VaR and ES from each variance forecast on the scale of the close-to-close returns "
        f"({', '.join(names[m] for m in config.risk.methods)} standardised returns, fitted on earlier days only, "
        f"after {config.risk.min_history} of them)"
    )


def risk_line(config: RunConfig, table: pd.DataFrame) -> str:
    """What the terminal's VaR table shows and on which days."""
    first, last = table.attrs["window"]
    return (
        f"{risk_methods(config)}, {first.date()} to {last.date()} ({int(table['n'].iloc[0])} days, the same for "
        "every model): violations in percent of days, * where Christoffersen's conditional coverage or "
        "McNeil-Frey's expected-shortfall test rejects at 5 %"
    )


def _echo_tables(config: RunConfig, result: WalkForwardResult, outcome: Outcome, echo) -> None:
    from reports.html import MAX_DETAIL, flag_lines, spa_line

    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        for kind, (_, title) in _TERMINAL.items():
            table = loss_table(outcome.boards, result, kind)
            if len(table):
                echo(f"\n{title}")
                echo(table.to_string())
            if kind == "variance":
                for sym, board in list(outcome.boards.items())[:MAX_DETAIL]:
                    group = board[(board["target"] == "variance") & (board["horizon"] == 1)]
                    line = spa_line(group, outcome.baselines.get(1))
                    if line:
                        echo((f"{sym}: " if len(outcome.boards) > 1 else "") + line)
                for line in flag_lines(outcome.boards):
                    echo(line)
    for h, (summary, _) in outcome.universe.items():
        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
            echo(f"\nuniverse leaderboard, variance {h} day{'s' if h > 1 else ''} ahead: {universe_line(summary)}")
            echo(summary.to_string())
    st = config.strategy
    for label, describe_rule, tables in (
        ("strategies", describe_strategies(st), outcome.tables),
        ("threshold strategies", st.threshold.describe(), outcome.threshold_tables),
    ):
        if len(tables) > MAX_DETAIL:
            echo(
                f"\n{label} of each of the {len(tables)} assets: in metrics.json and the report (the terminal shows "
                f"them for at most {MAX_DETAIL} assets)"
            )
            continue
        for sym, strat in tables.items():
            with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
                echo(f"\n{label} on {sym}: {describe_rule}")
                echo(f"scored: {window_line(strat)}")
                echo(strat.to_string())
    if outcome.risk and len(outcome.risk) <= MAX_DETAIL:
        from reports.tail_tests import violation_summary

        for sym, (table, _) in outcome.risk.items():
            if table.attrs.get("window") is None:
                continue
            echo(f"\nValue-at-Risk on {sym}: {risk_line(config, table)}")
            echo(violation_summary(table).to_string())
    ptable = outcome.portfolio.table
    if ptable is not None:
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
            echo(f"\nportfolio of {len(result.symbols)} assets: {st.portfolio.describe()}")
            echo(f"scored: {portfolio_window_line(ptable)}")
            echo(ptable.to_string())


def _write_outputs(run_dir: Path, outcome: Outcome) -> None:
    """metrics.json, weights.parquet and returns.parquet, each written atomically."""
    from core.atomic import write_parquet_atomic
    from engine import store

    boards, tables, backtests = outcome.boards, outcome.tables, outcome.backtests
    rows = [{"symbol": sym, "model": m, **r} for sym, b in boards.items() for m, r in b.to_dict(orient="index").items()]
    strat_rows = [
        {"symbol": sym, "model": m, "strategy": s, **r}
        for sym, tab in tables.items()
        for (m, s), r in tab.to_dict(orient="index").items()
    ]
    th_rows = [
        {"symbol": sym, "model": m, "strategy": "threshold", **r}
        for sym, tab in outcome.threshold_tables.items()
        for m, r in tab.to_dict(orient="index").items()
    ]
    windows = {sym: [str(t.attrs["window"][0].date()), str(t.attrs["window"][1].date())] for sym, t in tables.items()}
    th_windows = {
        sym: [str(t.attrs["window"][0].date()), str(t.attrs["window"][1].date())]
        for sym, t in outcome.threshold_tables.items()
    }
    ptable, pbacktests = outcome.portfolio.table, outcome.portfolio.backtests
    portfolio_rows = (
        [{"model": m, "scheme": sch, **r} for (m, sch), r in ptable.to_dict(orient="index").items()]
        if ptable is not None
        else []
    )
    universe_rows = [
        {"horizon": h, "model": m, **r}
        for h, (summary, _) in outcome.universe.items()
        for m, r in summary.to_dict(orient="index").items()
    ]
    risk_rows = [
        {"symbol": sym, "model": m, "method": meth, "level": lv, **r}
        for sym, (table, _) in outcome.risk.items()
        for (m, meth, lv), r in table.to_dict(orient="index").items()
    ]
    store.write_json(
        run_dir / "metrics.json",
        {
            "risk": risk_rows,
            "universe_leaderboard": universe_rows,
            "portfolio": portfolio_rows,
            "portfolio_window": [str(d.date()) for d in ptable.attrs["window"]] if ptable is not None else None,
            "leaderboard": rows,
            "strategies": strat_rows,
            "strategy_windows": windows,
            "threshold_strategies": th_rows,
            "threshold_windows": th_windows,
        },
    )
    weights = {f"{sym}/{m}/{s}": r.weights for sym, bt in backtests.items() for (m, s), r in bt.items()}
    rets = {f"{sym}/{m}/{s}": r.returns for sym, bt in backtests.items() for (m, s), r in bt.items()}
    rets.update({f"{sym}/buy_and_hold": next(iter(bt.values())).benchmark for sym, bt in backtests.items() if bt})
    for sym, bt in outcome.threshold_backtests.items():
        weights.update({f"{sym}/{m}/threshold": r.weights for m, r in bt.items()})
        rets.update({f"{sym}/{m}/threshold": r.returns for m, r in bt.items()})
        if bt:
            rets[f"{sym}/buy_and_hold/threshold"] = next(iter(bt.values())).benchmark
    for (m, sch), r in pbacktests.items():
        weights.update({f"portfolio/{m}/{sch}/{sym}": r.weights[sym] for sym in r.weights.columns})
        rets[f"portfolio/{m}/{sch}"] = r.returns
    if pbacktests:
        rets["portfolio/equal_weight"] = next(iter(pbacktests.values())).benchmark
    if weights:
        write_parquet_atomic(pd.DataFrame(weights), run_dir / "weights.parquet")
        write_parquet_atomic(pd.DataFrame(rets), run_dir / "returns.parquet")


def run_job(config: RunConfig, run_dir, *, tearsheets: bool = True, progress: bool | None = None, echo=print):
    """The whole job into a run folder (see :mod:`engine.store`); returns the report path.

    Safe to interrupt: finished folds stay in ``run_dir/folds`` and calling this
    again with the same folder (``tradecast run --resume``) fits only the rest.
    Any other error marks the run ``failed`` in its manifest, with the message.
    One run writes a folder at a time: a second one into it is refused while the
    first runs (:func:`core.locks.hold`), and the manifest records the process and
    host, so that a killed run is listed as killed, not running.
    """
    from core.locks import hold

    run_dir = Path(run_dir)
    with hold(run_dir) as me:
        return _run_job(config, run_dir, me, tearsheets=tearsheets, progress=progress, echo=echo)


def _run_job(config: RunConfig, run_dir: Path, me: dict, *, tearsheets: bool, progress: bool | None, echo):
    import time

    from core.atomic import write_bytes_atomic
    from engine import __version__, store
    from engine.config import to_dict
    from engine.results import save_results

    previous = _previous_manifest(run_dir)
    write_bytes_atomic(run_dir / "config.toml", store.to_toml(to_dict(config)).encode("utf-8"))
    packages = package_versions()
    seeds = {f.name: dict(f.params).get("seed", 0) for f in config.forecasters if "seed" in f.build().get_params()}
    store.write_manifest(
        run_dir,
        name=config.name,
        status="running",
        started=previous.get("started", time.strftime("%Y-%m-%dT%H:%M:%S")),
        tradecast=__version__,
        git=git_commit(),
        packages=packages,
        models=[f.name for f in config.forecasters],
        seeds=seeds,
        error=None,
        pid=me["pid"],
        host=me["host"],
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
        n_folds = sum(_count_folds(wf.splitter(), f.index) for f in prepared.features.values())
        n_fits = sum(
            _count_folds(s.splitter if (s := wf.schedule_for(m)) is not None else wf.splitter(), f.index)
            for m in config.forecasters
            for f in prepared.features.values()
        )
        echo(
            f"\nwalk-forward: {len(config.forecasters)} models x {n_folds} folds, {wf.describe()}, "
            f"{wf.refits} refits, n_jobs={wf.n_jobs}; finished folds go to {run_dir / 'folds'}"
            + own_schedules(config)
            + (f" ({n_fits} fits in all)" if n_fits != n_folds * len(config.forecasters) else "")
        )
        t = time.perf_counter()
        result = forecast(prepared, run_dir=run_dir, progress=progress)
        timings["walk_forward"] = time.perf_counter() - t
        save_results(run_dir, prepared.features, result)
        if result.warnings:
            summary["warnings"] = " | ".join(result.warnings)
        if wf.audit:
            summary["causality audit"] = audit_line(result)
            echo(f"\ncausality audit: {summary['causality audit']}")
        store.write_manifest(run_dir, summary=summary)

        t = time.perf_counter()
        outcome = _score_and_trade(config, result)
        timings["metrics_and_strategies"] = time.perf_counter() - t
        summary["wall time"] = (
            ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in timings.items())
            + " (this report's own rendering not counted)"
        )
        store.write_manifest(run_dir, summary=summary)
        _write_outputs(run_dir, outcome)
        save_scores(run_dir, outcome)
        _echo_tables(config, result, outcome, echo)
        t = time.perf_counter()
        path = _write_report(config, result, outcome, run_dir / "report.html", summary, tearsheets=tearsheets)
        timings["report"] = time.perf_counter() - t
    except KeyboardInterrupt:
        store.write_manifest(run_dir, status="interrupted", timings=timings)
        raise
    except BaseException as exc:
        store.write_manifest(
            run_dir,
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            failed=time.strftime("%Y-%m-%dT%H:%M:%S"),
            timings=timings,
        )
        raise
    store.write_manifest(run_dir, status="complete", finished=time.strftime("%Y-%m-%dT%H:%M:%S"), timings=timings)
    return path


def _previous_manifest(run_dir: Path) -> dict:
    """A resumed run's manifest (its start is kept); a damaged one is refused, not a traceback."""
    from engine import store

    path = run_dir / "manifest.json"
    if not path.exists():
        return {}
    try:
        found = store.read_json(path)
    except (ValueError, OSError) as exc:
        raise ConfigError(
            f"{path} is not readable JSON ({exc}): the run folder is damaged. Hint: delete manifest.json to resume "
            "anyway (finished folds are kept), or run into a new folder."
        ) from None
    if not isinstance(found, dict):
        raise ConfigError(f"{path} does not hold a JSON object. Hint: delete it to resume anyway.")
    return found


def audit_line(result: WalkForwardResult) -> str:
    """What the causality audit checked. It raises on the first forecast that moves,
    so a finished run passed it; folds read from an earlier, unaudited run are
    counted apart, not claimed.
    """
    audited = result.fits["audited"] > 0
    n, total, cuts = int(audited.sum()), len(audited), int(result.fits["audited"].sum())
    line = (
        f"passed: {n} of {total} (symbol, model, fold) tasks were re-forecast from data cut at {cuts} random dates "
        f"inside their folds, and no earlier forecast moved"
    )
    if n < total:
        line += f"; {total - n} were read from finished folds of an unaudited run and not checked"
    return line


def render_run(
    run_dir,
    *,
    tearsheets: bool = True,
    detail: list[str] | None = None,
    rescore: bool = False,
    echo=lambda *_: None,
) -> Path:
    """Re-render a finished run's report from its stored results alone.

    No data source is read, no model is fitted, and nothing in the run folder
    changes but ``report.html``, the kept scores (``scores.pickle``, when they had
    to be computed again) and a ``rendered`` entry in ``manifest.json`` (when, by
    which tradecast, from which files): the run's provenance (started, finished,
    timings, versions) stays as the run wrote it, whatever tradecast version
    renders it.

    The leaderboards, strategies and risk tables are the ones the run kept
    (:mod:`engine.scores`) while its results, config, tradecast and packages are
    unchanged, else they are scored again; ``rescore`` always scores again (and
    never unpickles the kept file: for run folders from elsewhere).

    ``detail`` names the assets of a universe drawn with figures and tear sheets
    (default: the first :data:`reports.html.MAX_DETAIL`).

    Raises
    ------
    engine.results.StoredResultsError
        The run did not finish or its stored results are missing or damaged.
    """
    import time

    from engine import __version__, store
    from engine.config import load_config
    from engine.results import RESULT_FILES, load_results

    run_dir = Path(run_dir)
    manifest = store.read_json(run_dir / "manifest.json")
    config = load_config(run_dir / "config.toml")
    t = time.perf_counter()
    _, result = load_results(run_dir, config)
    kept = None if rescore else load_scores(run_dir)
    echo(
        f"read the stored results of {len(result.models)} models on {len(result.symbols)} symbol(s) in "
        f"{time.perf_counter() - t:.1f} s; "
        + ("the run's kept scores match them" if kept is not None else "scoring and trading them")
    )
    if kept is None:
        outcome = _score_and_trade(config, result)
        save_scores(run_dir, outcome)
        echo(f"leaderboards and strategies in {time.perf_counter() - t:.1f} s")
    else:
        outcome = kept
    echo("writing the report" + (" with tear sheets" if tearsheets else ""))
    summary = dict(manifest.get("summary") or {})
    rendered: dict[str, Any] = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "tradecast": __version__,
        "from": list(RESULT_FILES),
        "fitted": "nothing",
        "scores": "scored again" if kept is None else f"kept ({SCORES_FILE})",
    }
    summary["rendered"] = (
        f"re-rendered {rendered['at']} by tradecast {__version__} from the stored results "
        f"({', '.join(RESULT_FILES)}); nothing was refitted and no data source was read"
    )
    path = _write_report(
        config, result, outcome, run_dir / "report.html", summary, tearsheets=tearsheets, detail=detail
    )
    rendered["seconds"] = round(time.perf_counter() - t, 2)
    store.write_manifest(run_dir, rendered=rendered)
    return path
