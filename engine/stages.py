"""The job's stages before scoring: config -> bars -> features -> walk-forward forecasts.

Each stage is a plain function so that scripts and notebooks can run the same
steps as ``tradecast run`` (:mod:`engine.job` runs them in order); the run's
summary lines (targets, devices) are read from the prepared stage.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.frameinfo import frame_info
from engine.config import RunConfig
from engine.data import by_symbol
from engine.summary import format_summary
from engine.walkforward import Plan, WalkForwardResult, plan_walk_forward, run_plan
from signals.features import annual_vol

__all__ = [
    "NUMBER_PACKAGES",
    "Prepared",
    "check_columns",
    "check_strategy_days",
    "describe",
    "device_line",
    "forecast",
    "git_commit",
    "own_schedules",
    "package_versions",
    "plan_of",
    "prepare",
    "run_summary",
    "targets_line",
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
    bars = d.load(min_rows=f.rows_needed)
    vix = d.load_vix()
    per_symbol = by_symbol(bars)
    _check_estimator(f.estimator, per_symbol)
    features = {sym: f.frame(b, vix) for sym, b in per_symbol.items()}
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
        info = frame_info(frame)
        lines.append(f"features for {sym} (target: {info.estimator})")
        lines.append(f"  columns         {', '.join(frame.columns)}")
        lines.append(f"  usable rows     {len(complete)} of {len(frame)} (the rest are warm-up rows)")
        if "vix" in frame.columns:
            lines.append(f"  vix coverage    {100 * (info.vix_coverage or 0.0):.1f} % of rows")
        desc = frame["rv"].describe()
        lines.append(
            f"  daily variance  mean {desc['mean']:.3g}, median {desc['50%']:.3g}, max {desc['max']:.3g} "
            f"(annualised vol of the mean {100 * annual_vol(desc['mean']):.1f} %)"
        )
    return "\n".join(lines)


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


def plan_of(prepared: Prepared, *, run_dir=None) -> Plan:
    """The walk-forward of every configured forecaster on every symbol, planned (the dates
    split into folds, once) but not run: :func:`forecast` runs it.
    """
    wf = prepared.config.walkforward
    models = {f.name: f.build(wf.device) for f in prepared.config.forecasters}
    schedules = {f.name: s for f in prepared.config.forecasters if (s := wf.schedule_for(f)) is not None}
    return plan_walk_forward(
        prepared.features,
        models,
        wf.splitter(),
        refits=wf.refits,
        pooled=wf.pooled,
        audit=wf.audit,
        run_dir=run_dir,
        schedules=schedules,
    )


def check_strategy_days(config: RunConfig, plan: Plan) -> None:
    """Refuse, before anything is fitted, a run whose strategies could not trade.

    Both rules need out-of-sample days that the config alone decides, and too few used to
    stop the run in the scoring, after the whole walk-forward (hours, with networks):

    * the regime rule (where a variance model trades) ranks each forecast within the
      trailing window of ``strategy.regime_lookback`` forecasts, its own included
      (:func:`strategies.threshold.regime_weights`), so it decides a weight from the
      ``regime_lookback``-th day on, and the strategy table needs two such days:
      ``regime_lookback + 1`` forecasts a symbol;
    * a threshold grid (``strategy.threshold.choose = "grid"``, where a return or price
      model trades) needs :data:`strategies.evaluate.MIN_THRESHOLD_DAYS` forecasts up to
      ``validation_end`` to choose on and as many after it to score.

    Raises
    ------
    ConfigError
        Naming the setting, the symbol with the fewest days, their dates, and what would do.
    """
    from strategies.evaluate import MIN_THRESHOLD_DAYS

    targets = {m.target for m in plan.models.values()}
    dates = {sym: _test_dates(plan, sym) for sym in plan.folds}
    sym = min(dates, key=lambda s: len(dates[s]))
    lookback = config.strategy.regime_lookback
    if "variance" in targets and len(dates[sym]) <= lookback:
        n = len(dates[sym])
        raise ConfigError(
            f"strategy.regime_lookback = {lookback} needs at least {lookback + 1} out-of-sample days a symbol (the "
            f"regime rule decides a weight once it has a window of {lookback} forecasts, and the strategies need "
            f"two days with a weight); {sym} has {n} {_span(dates[sym])}. Hint: "
            + (f"strategy.regime_lookback = {n - 1} or less, or " if n > 2 else "")
            + "an earlier walkforward.start; nothing was fitted."
        )
    th = config.strategy.threshold
    if th.choose == "grid" and targets & {"return", "price"}:
        cut = pd.Timestamp(th.validation_end)
        sides = {s: (int((d <= cut).sum()), int((d > cut).sum())) for s, d in dates.items()}
        sym = min(sides, key=lambda s: min(sides[s]))
        before, after = sides[sym]
        if min(before, after) < MIN_THRESHOLD_DAYS:
            raise ConfigError(
                f"strategy.threshold.validation_end = {th.validation_end!r} leaves {sym} {before} out-of-sample days "
                f"to choose the thresholds on and {after} to score them {_span(dates[sym])}; each side needs "
                f"{MIN_THRESHOLD_DAYS}. Hint: a validation_end a few months after walkforward.start and before "
                "the data ends; nothing was fitted."
            )


def _span(dates: pd.DatetimeIndex) -> str:
    return f"({dates[0].date()} to {dates[-1].date()})" if len(dates) else "(none)"


def _test_dates(plan: Plan, sym: str) -> pd.DatetimeIndex:
    """The dates ``sym``'s folds forecast, in order."""
    rows = [np.arange(f.test.start, f.test.stop) for f in plan.folds[sym]]
    return pd.DatetimeIndex(plan.frames[sym].index[np.concatenate(rows)] if rows else [])


def forecast(
    prepared: Prepared, *, run_dir=None, progress: bool | None = None, plan: Plan | None = None
) -> WalkForwardResult:
    """Walk-forward forecasts of every configured forecaster on every symbol (``plan``: from
    :func:`plan_of` on the same ``prepared`` and ``run_dir``, where the caller planned first).
    """
    wf = prepared.config.walkforward
    return run_plan(
        plan if plan is not None else plan_of(prepared, run_dir=run_dir),
        n_jobs=wf.n_jobs,
        executor=wf.executor,
        progress=progress,
        ray_address=wf.ray_address,
        combinations={c.name: c.build() for c in prepared.config.combinations},
    )


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

    bars, info = prepared.bars, frame_info(prepared.bars)
    versions = [f"{pkg} {v}" for pkg, v in package_versions().items()]
    commit = git_commit()
    wf = prepared.config.walkforward
    return {
        "data": f"{info.source}: {', '.join(info.symbols)}, {bars.index[0].date()} to "
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


#: The packages whose versions decide a run's numbers: the run's summary lists them and the kept
#: scores are keyed on them (:mod:`engine.scores`). numba compiles the portfolio's equal-risk solver.
NUMBER_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "arch",
    "torch",
    "scikit-learn",
    "vectorbt",
    "numba",
    "quantstats",
    "pyarrow",
)


def package_versions() -> dict[str, str]:
    """Versions of :data:`NUMBER_PACKAGES` (those installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in NUMBER_PACKAGES:
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
