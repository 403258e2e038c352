"""Scoring a run's forecasts: leaderboards against the strongest econometric model,
the strategies traded on them, the portfolio, the universe board and the risk tables.

:func:`score_and_trade` is the one call the job and ``tradecast report`` make; each
part is a plain function a script can call alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.frameinfo import frame_info
from core.tables import ScoredTable
from engine.config import RunConfig, StrategyConfig
from engine.executors import Executor, make_executor, usable_cores
from engine.stages import Prepared
from engine.walkforward import WalkForwardResult
from strategies.portfolio import NO_PORTFOLIO, PortfolioResult

if TYPE_CHECKING:
    from core.evaluation.universe import UniverseBoard

__all__ = [
    "LEVEL_RANGE",
    "SCORING_CHUNK",
    "SMEARING_RANGE",
    "Outcome",
    "SymbolScores",
    "baselines",
    "leaderboards",
    "outcome_of",
    "per_symbol_scores",
    "risk_tables",
    "score_and_trade",
    "trade",
    "trade_forecasts",
    "trade_portfolio",
    "trade_returns",
    "universe_boards",
]


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
            estimator = str(frame_info(result.frames[sym]).estimator or "default")
            for m, v in smear.items():
                text = _smearing_flag(float(v), estimator)
                if text and (not flags[m] or text.startswith("warning")):
                    flags[m] = "; ".join(t for t in (flags[m], text) if t)
        board["flag"] = flags
        boards[sym] = board
    return boards


def universe_boards(
    result: WalkForwardResult, baseline: str | dict[int, str] | None = None
) -> dict[int, UniverseBoard]:
    """For a universe, :func:`core.evaluation.universe.universe_leaderboard` per variance
    horizon that has the baseline (by default the run's strongest econometric
    model, :func:`baselines`): QLIKE ratios per asset, assets beaten (with DM at
    5 %), mean rank and the panel DM test. An asset on which the baseline's mean
    forecast lies outside :data:`LEVEL_RANGE` of the mean realised variance (a
    broken log model) is left out, and named in the board's ``excluded``
    with that level: against a broken baseline every model wins there, and one
    such asset would decide the panel test. Empty for one asset.

    Returns the :class:`core.evaluation.universe.UniverseBoard` by horizon.
    """
    from core.evaluation.universe import universe_leaderboard
    from reports.metrics import forecast_groups, per_date_losses
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
        out[h] = dataclasses.replace(universe_leaderboard(losses, str(name)), excluded=excluded)
    return out


def trade(prepared: Prepared, result: WalkForwardResult) -> tuple[dict[str, ScoredTable], dict[str, dict]]:
    """The configured strategies (``[strategy]``) on every variance forecaster, per
    symbol (see :func:`trade_forecasts`).
    """
    return trade_forecasts(prepared.config.strategy, result)


def trade_forecasts(spec: StrategyConfig, result: WalkForwardResult) -> tuple[dict[str, ScoredTable], dict[str, dict]]:
    """``spec`` (a :class:`strategies.spec.StrategySpec`) on every variance
    forecaster, per symbol: exactly what
    ``strategy_table(frame["close"], forecasts, spec, proxy=frame["rv"], variance_of=result.variance_of())``
    gives a script.

    Returns the strategy tables and the backtests, both by symbol. The backtests keep
    their measured series and statistics but not vectorbt's ``Portfolio`` object
    (``portfolio=None``): nothing downstream reads it, and one per asset held gigabytes
    in a universe of hundreds.
    """
    from engine.scores import without_portfolios
    from strategies.evaluate import strategy_table

    kinds = result.variance_of()
    tables: dict[str, ScoredTable] = {}
    backtests: dict[str, dict] = {}
    if not kinds:
        return tables, backtests
    for sym in result.symbols:
        frame = result.frames[sym]
        fc = result.for_symbol(sym)[list(kinds)]
        res = strategy_table(frame["close"], fc, spec, proxy=frame["rv"], variance_of=kinds)
        tables[sym], backtests[sym] = res.scored(), without_portfolios(res.backtests)
    return tables, backtests


def trade_returns(spec: StrategyConfig, result: WalkForwardResult) -> tuple[dict[str, ScoredTable], dict[str, dict]]:
    """``spec.threshold`` on every return and price forecaster (a price forecast by
    the log return it implies from the last close), per symbol; see
    :func:`strategies.evaluate.threshold_table`.

    Returns the threshold tables and backtests (by model), both by symbol.
    """
    from engine.scores import without_portfolios
    from signals.base import implied_return
    from strategies.calibration import calibrated
    from strategies.evaluate import threshold_table

    names = [m for m, f in result.models.items() if f.target in ("return", "price")]
    tables: dict[str, ScoredTable] = {}
    backtests: dict[str, dict] = {}
    if not names:
        return tables, backtests
    th = spec.threshold
    # the threshold's variance model is put on the returns' scale where it forecasts the rv proxy
    calibrate = spec.calibrate == "proxy" and result.variance_of().get(th.variance_model or "") == "target"
    for sym in result.symbols:
        frame, fc = result.frames[sym], result.for_symbol(sym)
        returns = fc[names].astype(float).copy()
        for m in names:
            if result.models[m].target == "price":
                returns[m] = implied_return(frame, returns[m])
        variance = None
        if th.variance_model:
            variance = fc[th.variance_model].astype(float)
            if calibrate:
                variance = calibrated(variance, frame["close"], frame["rv"])
        res = threshold_table(frame["close"], returns, spec, variance_forecast=variance)
        # as the variance strategies': nothing reads the vectorbt portfolios
        tables[sym], backtests[sym] = res.scored(), without_portfolios(res.backtests)
    return tables, backtests


def trade_portfolio(spec: StrategyConfig, result: WalkForwardResult) -> PortfolioResult:
    """``spec.portfolio`` on every variance forecaster of a universe: one shared-cash
    portfolio per (model, scheme) and the equal-weight portfolio, on the same days
    (:func:`strategies.portfolio.portfolio_table`); :data:`strategies.portfolio.NO_PORTFOLIO` for one asset.

    Returns the table, the backtests and the weights (with ex-ante risk shares), by (model, scheme).
    As :func:`trade_forecasts`', the backtests keep their series but not vectorbt's
    ``Portfolio`` (nothing downstream reads it; at 500 assets it held about a gigabyte).
    """
    from engine.scores import without_portfolios
    from strategies.portfolio import portfolio_table

    kinds = result.variance_of()
    if len(result.symbols) < 2 or not kinds:
        return NO_PORTFOLIO
    per_symbol = {sym: result.for_symbol(sym) for sym in result.symbols}  # each symbol's slice taken once
    forecasts = {m: pd.concat({sym: fc[m] for sym, fc in per_symbol.items()}, axis=1).astype(float) for m in kinds}
    out = portfolio_table(result.frames, forecasts, spec.portfolio, spec, variance_of=kinds)
    return dataclasses.replace(out, backtests=without_portfolios(out.backtests))


@dataclass(frozen=True)
class Outcome:
    """What a run's forecasts gave, by symbol: leaderboards, the variance strategies
    (tables and backtests by (model, strategy)) and the threshold strategies of the
    return models (tables and backtests by model); for a universe, the portfolio
    (:func:`trade_portfolio`'s table, backtests and weights).
    """

    boards: dict[str, pd.DataFrame]
    tables: dict[str, ScoredTable]
    backtests: dict[str, dict]
    threshold_tables: dict[str, ScoredTable]
    threshold_backtests: dict[str, dict]
    portfolio: PortfolioResult = NO_PORTFOLIO
    universe: dict[int, UniverseBoard] = field(default_factory=dict)
    baselines: dict[int, str] = field(default_factory=dict)
    #: By symbol: the VaR/ES backtests with their days, and each model's tail forecasts.
    risk: dict[str, tuple[ScoredTable, dict[str, pd.DataFrame]]] = field(default_factory=dict)


def score_and_trade(config: RunConfig, result: WalkForwardResult, *, n_jobs: int | None = None) -> Outcome:
    """Everything scored of a run: the leaderboards, the strategies, the portfolio, the universe
    board and the risk tables, against the run's strongest econometric model (:func:`baselines`).

    The per-asset parts (leaderboards, strategy, threshold and risk tables) of a universe are
    scored in parts of :data:`SCORING_CHUNK` assets on ``n_jobs`` workers (by default the run's
    ``[walkforward]`` ``n_jobs``, on its executor), while this process builds the portfolio and
    the universe board, which read every asset; each asset's numbers are the same as scored
    alone (tested).
    """
    base = baselines(result)
    wf = config.walkforward
    jobs = wf.n_jobs if n_jobs is None else n_jobs
    whole: dict[str, Any] = {}

    def across_assets() -> None:
        whole["portfolio"] = trade_portfolio(config.strategy, result)
        whole["universe"] = universe_boards(result, base)

    parts = per_symbol_scores(
        config, result, base, n_jobs=jobs, executor=wf.executor, ray_address=wf.ray_address, meanwhile=across_assets
    )
    return Outcome(
        parts.boards,
        parts.tables,
        parts.backtests,
        parts.threshold_tables,
        parts.threshold_backtests,
        whole["portfolio"],
        whole["universe"],
        base,
        parts.risk,
    )


#: Assets per scoring task of :func:`per_symbol_scores`: large enough that a task's pickling is
#: small beside its work (about 0.3 s an asset), small enough that the workers end together.
SCORING_CHUNK = 20


@dataclass(frozen=True)
class SymbolScores:
    """What :func:`per_symbol_scores` gives, each by symbol (the fields of :class:`Outcome` that
    are computed asset by asset).
    """

    boards: dict[str, pd.DataFrame]
    tables: dict[str, ScoredTable]
    backtests: dict[str, dict]
    threshold_tables: dict[str, ScoredTable]
    threshold_backtests: dict[str, dict]
    risk: dict[str, tuple[ScoredTable, dict[str, pd.DataFrame]]]


def per_symbol_scores(
    config: RunConfig,
    result: WalkForwardResult,
    base: dict[int, str],
    *,
    n_jobs: int = 1,
    executor: Executor = "process",
    ray_address: str | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> SymbolScores:
    """:func:`leaderboards`, :func:`trade_forecasts`, :func:`trade_returns` and :func:`risk_tables`
    of every symbol, in the order of ``result.symbols``: in this process for one job or a few
    symbols, else in parts of :data:`SCORING_CHUNK` symbols (:meth:`WalkForwardResult.select`)
    on ``n_jobs`` workers of ``executor`` (:func:`engine.executors.make_executor`). Every part
    is scored by the same functions on its own symbols, so that the numbers do not depend on
    ``n_jobs``.

    ``meanwhile``, when given, is called once in this process while the workers score (a
    local pool's main process then takes parts too, once it is done).
    """
    symbols = result.symbols
    if n_jobs <= 1 or len(symbols) <= SCORING_CHUNK:
        if meanwhile is not None:
            meanwhile()
        return _score_part((config, result, base))
    parts = [symbols[i : i + SCORING_CHUNK] for i in range(0, len(symbols), SCORING_CHUNK)]
    jobs = min(n_jobs, len(parts)) if executor == "ray" else min(n_jobs, len(parts), usable_cores())
    pool = make_executor(jobs, executor, ray_address)  # capped here: the walk-forward has warned of n_jobs
    try:
        handles = [pool.submit(_score_part, (config, result.select(p), base)) for p in parts]
        if meanwhile is not None:
            meanwhile()
        pending = list(handles)
        while pending:
            _, pending = pool.wait(pending)
        done = [pool.result(h) for h in handles]
    except BaseException:
        pool.abort()
        raise
    pool.close()
    merged: dict[str, dict] = {f.name: {} for f in dataclasses.fields(SymbolScores)}
    for part in done:
        for name, d in merged.items():
            d.update(getattr(part, name))
    return SymbolScores(**merged)


def _score_part(task: tuple[RunConfig, WalkForwardResult, dict[int, str]]) -> SymbolScores:
    """The per-symbol scores of one result (a part of a universe, in a worker)."""
    config, result, base = task
    tables, backtests = trade_forecasts(config.strategy, result)
    th_tables, th_backtests = trade_returns(config.strategy, result)
    return SymbolScores(
        leaderboards(result, base), tables, backtests, th_tables, th_backtests, risk_tables(config, result, base)
    )


def outcome_of(
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


def risk_tables(
    config: RunConfig, result: WalkForwardResult, base: dict[int, str]
) -> dict[str, tuple[ScoredTable, dict[str, pd.DataFrame]]]:
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
