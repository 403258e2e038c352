"""Every forecaster's forecasts through the standard strategies, in one table,
compared with buy and hold on exactly the same days.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ParameterError
from core.evaluation.performance import sharpe_differences
from core.tables import ScoredTable, TableSchema, Window
from strategies.backtest import BacktestResult, backtests
from strategies.calibration import return_variance, shared_scale
from strategies.spec import DEFAULT_SPEC, StrategySpec
from strategies.threshold import regime_weights
from strategies.vol_target import vol_target_weights

__all__ = [
    "MIN_THRESHOLD_DAYS",
    "STRATEGY_COLUMNS",
    "STRATEGY_TABLE",
    "THRESHOLD_COLUMNS",
    "THRESHOLD_TABLE",
    "StrategyResult",
    "common_window",
    "sharpe_gaps",
    "strategy_table",
    "threshold_table",
]

#: Forecasts a threshold grid needs on each side of ``validation_end``: to choose on, and to score.
MIN_THRESHOLD_DAYS = 44

#: The performance columns every strategy table starts with, and the trading costs it ends them with.
_PERFORMANCE = ("sharpe", "sharpe_vs_bh", "sharpe_vs_bh_se", "max_drawdown", "annual_return", "realised_vol")
_COSTS = ("turnover_per_year", "costs_per_year", "financing_per_year")

#: Columns of :func:`strategy_table`, in order.
STRATEGY_COLUMNS = (*_PERFORMANCE, "target_vol", *_COSTS)

#: :func:`strategy_table`'s layout: its columns and those a report shows at once (costs and
#: financing are one click away).
STRATEGY_TABLE = TableSchema(
    columns=STRATEGY_COLUMNS,
    main=tuple(c for c in STRATEGY_COLUMNS if c not in ("target_vol", "costs_per_year", "financing_per_year")),
)


def common_window(weights: Mapping[Any, pd.Series]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days every strategy has a weight: from the latest first decided day
    to the earliest last one.

    Raises
    ------
    ParameterError
        When some strategy never decides a weight, or the strategies share no day.
    """
    firsts, lasts = {}, {}
    for key, w in weights.items():
        decided = w.dropna()
        if decided.empty:
            raise ParameterError(
                f"strategy_table: strategy {key} has no weight on any day (too few forecasts for its rule). "
                f"Hint: a longer out-of-sample period, or a shorter regime_lookback."
            )
        firsts[key], lasts[key] = decided.index[0], decided.index[-1]
    start, end = max(firsts.values()), min(lasts.values())
    if start >= end:
        raise ParameterError(
            f"strategy_table: the strategies share no trading days (the last starts {start.date()}, "
            f"the first ends {end.date()}). Hint: a longer out-of-sample period, or a shorter regime_lookback."
        )
    return start, end


@dataclass(frozen=True)
class StrategyResult(ScoredTable):
    """What :func:`strategy_table` and :func:`threshold_table` give, typed: the table, the
    common window its rows are scored on (and a threshold grid's validation window), and
    the backtests; it still unpacks as ``(table, backtests)``.
    """

    backtests: dict[Any, BacktestResult] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.table, self.backtests))

    def scored(self) -> ScoredTable:
        """The table and its windows, without the backtests."""
        return ScoredTable(self.table, self.window, self.validation)


def strategy_table(
    close: pd.Series,
    variance_forecasts: pd.DataFrame,
    spec: StrategySpec = DEFAULT_SPEC,
    *,
    proxy: pd.Series | None = None,
    variance_of: Mapping[str, str] | None = None,
    se_reps: int = 1000,
) -> StrategyResult:
    """Vol-targeting and a volatility-regime strategy for each variance forecaster,
    every one scored on the same days as buy and hold.

    Parameters
    ----------
    close : Series, the asset's close prices
    variance_forecasts : DataFrame, one column of daily variance forecasts per model,
        labelled by target date (``WalkForwardResult.for_symbol()``)
    spec : StrategySpec, default :data:`strategies.spec.DEFAULT_SPEC`
        Vol target, leverage cap, regime rule, costs, calibration and smoothing:
        the same defaults as ``tradecast run`` (``[strategy]``).
    proxy : Series, optional
        The realised-variance proxy the forecasts were trained on (the feature
        frame's ``rv``); needed when ``spec.calibrate == "proxy"``. Only forecasts
        of the proxy (``variance_of`` "target") are scaled, and only for
        vol-targeting: the regime rule ranks a forecast against its own past.
    variance_of : dict of model to "target" | "returns" | "mixed", optional
        What each forecast measures (``BaseForecaster.variance_of``;
        ``WalkForwardResult.variance_of()``). Default: every model "target".
    se_reps : int, default 1000
        Bootstrap resamples of the Sharpe gap's standard error.

    Returns
    -------
    StrategyResult
        Unpacks as ``(table, results)``. ``table``: one row per (model, strategy) plus buy and hold, with the
        columns of :data:`STRATEGY_COLUMNS`; ``sharpe_vs_bh`` is the Sharpe ratio
        minus buy and hold's on the same days, ``sharpe_vs_bh_se`` its
        circular-block-bootstrap standard error
        (:func:`core.evaluation.performance.sharpe_difference`). Every strategy and
        buy and hold cover one common window, the days on which every strategy
        has a weight (the regime rule needs ``spec.regime_lookback`` forecasts
        first): ``window``. ``results`` (``backtests``): the backtests, each over
        that window.
    """
    if not isinstance(spec, StrategySpec):
        raise ParameterError(
            f"strategy_table: spec must be a StrategySpec; got {type(spec).__name__}. "
            f"Hint: StrategySpec(target_vol=0.10, smooth=10)."
        )
    if spec.calibrate == "proxy" and proxy is None:
        raise ParameterError(
            "strategy_table: calibrate='proxy' needs proxy, the realised-variance series the forecasts "
            "were trained on. Hint: proxy=frame['rv'], or StrategySpec(calibrate='none')."
        )
    weights = _variance_weights(close, variance_forecasts, spec, proxy, dict(variance_of or {}))
    if not weights:
        raise ParameterError("strategy_table: variance_forecasts has no column; nothing to trade.")
    start, end = common_window(weights)

    rows, results = {}, {}
    # every strategy in one vectorbt call, each with its own cash (the same as one backtest each)
    runs = backtests(
        close,
        {f"{m}/{s}": w.loc[start:end].rename(f"{m}/{s}") for (m, s), w in weights.items()},
        fees_bps=spec.fees_bps,
        slippage_bps=spec.slippage_bps,
        target_vols={f"{m}/{s}": spec.target_vol for m, s in weights if s == "vol_target"},
        **spec.financing(),
    )
    for model, strategy in weights:
        results[(model, strategy)] = runs[f"{model}/{strategy}"]
    for key, (diff, se) in zip(results, sharpe_gaps(list(results.values()), se_reps), strict=True):
        res = results[key]
        rows[key] = _row(res.stats.iloc[0], res.target_vol, diff, se)
    bench = next(iter(results.values()))
    rows[("buy_and_hold", "-")] = _row(bench.stats.loc["buy_and_hold"], None, 0.0, np.nan)
    table = pd.DataFrame.from_dict(rows, orient="index")[list(STRATEGY_COLUMNS)]
    table.index = pd.MultiIndex.from_tuples(table.index, names=["model", "strategy"])
    return StrategyResult(table, Window.of(bench.returns.index), backtests=results)


def _variance_weights(
    close: pd.Series,
    variance_forecasts: pd.DataFrame,
    spec: StrategySpec,
    proxy: pd.Series | None,
    variance_of: Mapping[str, str],
) -> dict[tuple[str, str], pd.Series]:
    """Each model's vol-targeting weights (on its forecast put on the returns' scale) and
    regime weights (on its forecast as it is: the rule ranks it against its own past).
    """
    weights: dict[tuple[str, str], pd.Series] = {}
    kinds = [variance_of.get(m, "target") for m in variance_forecasts.columns]
    scale = shared_scale(close, proxy, calibrate=spec.calibrate, kinds=kinds)  # once, for every model
    for model in variance_forecasts.columns:
        fc = variance_forecasts[model].dropna()
        sized = return_variance(
            fc, close, proxy, calibrate=spec.calibrate, variance_of=variance_of.get(model, "target"), scale=scale
        )
        weights[(model, "vol_target")] = vol_target_weights(
            sized, target_vol=spec.target_vol, max_leverage=spec.max_leverage, smooth=spec.smooth
        )
        weights[(model, "regime")] = regime_weights(fc, quantile=spec.regime_quantile, lookback=spec.regime_lookback)
    return weights


def _row(stats: pd.Series, target_vol: float | None, diff: float, se: float) -> dict:
    return {
        "sharpe": stats["sharpe"],
        "sharpe_vs_bh": diff,
        "sharpe_vs_bh_se": se,
        "max_drawdown": stats["max_drawdown"],
        "annual_return": stats["annual_return"],
        "realised_vol": stats["annual_vol"],
        "target_vol": target_vol,
        "turnover_per_year": stats["turnover_per_year"],
        "costs_per_year": stats["costs_per_year"],
        "financing_per_year": stats["financing_per_year"],
    }


#: Columns of :func:`threshold_table`, in order.
THRESHOLD_COLUMNS = (*_PERFORMANCE, "hit_rate", *_COSTS, "upper", "lower", "n_trials", "validation_dsr")

#: :func:`threshold_table`'s layout: its columns and those a report shows at once.
THRESHOLD_TABLE = TableSchema(
    columns=THRESHOLD_COLUMNS,
    main=(
        "sharpe",
        "sharpe_vs_bh",
        "sharpe_vs_bh_se",
        "max_drawdown",
        "realised_vol",
        "hit_rate",
        "upper",
        "n_trials",
        "validation_dsr",
    ),
)


def threshold_table(
    close: pd.Series,
    return_forecasts: pd.DataFrame,
    spec: StrategySpec = DEFAULT_SPEC,
    *,
    variance_forecast: pd.Series | None = None,
    se_reps: int = 1000,
) -> StrategyResult:
    """The threshold rule (``spec.threshold``) on every return forecaster, each
    scored on the same days as buy and hold.

    Parameters
    ----------
    close : Series, the asset's close prices
    return_forecasts : DataFrame, one column of log-return forecasts per model
        (a price model's implied return ``log(forecast / last close)``), labelled by target date
    spec : StrategySpec
        ``spec.threshold`` sets the rule; ``fees_bps``, ``slippage_bps`` and, for
        ``size = "vol_target"``, ``target_vol``, ``max_leverage`` and ``smooth``
        come from ``spec``.
    variance_forecast : Series, optional
        Daily variance forecasts by date, for ``units = "zscore"`` and
        ``size = "vol_target"`` (already calibrated to return variance where
        that is wanted).
    se_reps : int, default 1000

    Returns
    -------
    StrategyResult
        Unpacks as ``(table, results)``. ``table``: one row per model plus buy and hold, the columns of
        :data:`THRESHOLD_COLUMNS`: ``hit_rate`` is the share of days in the
        market whose return had the position's sign; ``upper`` / ``lower`` the
        thresholds traded; with ``choose = "grid"``, ``n_trials`` counts every
        threshold tried for every model on the validation window (one search),
        chosen with the fees, slippage and rates they are scored with, and
        ``validation_dsr`` is the winner's deflated Sharpe ratio there against
        buy and hold: the probability that its edge over buy and hold on the
        validation window is more than the luck of ``n_trials`` tries
        (:func:`strategies.grid.deflate`). It speaks of the validation window,
        not of the scored one: ``validation`` names that window.
        Every row covers one common window (``window``), after ``validation_end``
        when the thresholds were chosen.
    """
    weights = _threshold_rule(spec, variance_forecast)
    chosen, all_w, grids = _chosen_thresholds(close, return_forecasts, spec, weights)
    if not all_w:
        raise ParameterError("threshold_table: return_forecasts has no column; nothing to trade.")
    start, end = common_window(all_w)
    results = backtests(
        close,
        {model: w.loc[start:end].rename(f"{model}/threshold") for model, w in all_w.items()},
        fees_bps=spec.fees_bps,
        slippage_bps=spec.slippage_bps,
        **spec.financing(),
    )
    table = _threshold_rows(results, chosen, se_reps)
    validation = Window.of(reduce(pd.Index.union, (g.returns.index for g in grids.values()))) if grids else None
    bench = next(iter(results.values()))
    return StrategyResult(table, Window.of(bench.returns.index), validation, backtests=results)


def _threshold_rule(spec: StrategySpec, variance_forecast: pd.Series | None):
    """``spec.threshold`` as a function of (forecasts, upper, lower) to weights, sized by
    the vol target where ``size = "vol_target"``.
    """
    from strategies.threshold import threshold_weights

    th = spec.threshold
    if (th.units == "zscore" or th.size == "vol_target") and variance_forecast is None:
        raise ParameterError(
            f"threshold_table: units={th.units!r}, size={th.size!r} need variance_forecast, daily variance "
            f"forecasts by date. Hint: a variance model's column of the same walk-forward."
        )
    sizing = None
    if th.size == "vol_target":
        sizing = vol_target_weights(
            variance_forecast, target_vol=spec.target_vol, max_leverage=spec.max_leverage, smooth=spec.smooth
        )

    def weights(fc: pd.Series, upper: float, lower: float | None) -> pd.Series:
        w = threshold_weights(
            fc,
            upper=upper,
            lower=lower,
            short=th.short,
            between=th.between,
            units=th.units,
            variance_forecast=variance_forecast,
        )
        return w * sizing.reindex(w.index) if sizing is not None else w

    return weights


def _chosen_thresholds(close: pd.Series, return_forecasts: pd.DataFrame, spec: StrategySpec, weights):
    """Each model's thresholds (given, or chosen on the validation window with the costs and
    rates they are scored with, then deflated for every threshold tried), its weights on
    the scored days, and the grids searched (by model; empty when nothing was chosen).
    """
    from strategies.grid import deflate, run_grid

    th = spec.threshold
    cut = pd.Timestamp(th.validation_end) if th.choose == "grid" else None
    chosen, all_w, grids = {}, {}, {}
    for model in return_forecasts.columns:
        fc = return_forecasts[model].dropna()
        if cut is None:
            lower = -th.upper if th.lower is None else th.lower
            chosen[model] = {"upper": th.upper, "lower": lower, "n_trials": 1, "validation_dsr": np.nan}
        else:
            valid, scored = fc[fc.index <= cut], fc[fc.index > cut]
            if len(valid) < MIN_THRESHOLD_DAYS or len(scored) < MIN_THRESHOLD_DAYS:
                raise ParameterError(
                    f"threshold_table: validation_end={th.validation_end} leaves {len(valid)} forecasts of {model} "
                    f"to choose on and {len(scored)} to score. Hint: a validation_end inside the forecasts, with a "
                    "few months on each side."
                )
            grids[model] = grid = run_grid(
                close,
                {"upper": list(th.uppers)},
                lambda upper, f=valid: weights(f, upper, -upper),
                fees_bps=spec.fees_bps,
                slippage_bps=spec.slippage_bps,
                **spec.financing(),
            )
            chosen[model] = {"upper": grid.best[0], "lower": -grid.best[0]}
            fc = scored
        all_w[model] = weights(fc, chosen[model]["upper"], chosen[model]["lower"])
    if grids:
        # every model's thresholds are trials of one search: the winners are deflated for all of them
        n_all = sum(g.n_trials for g in grids.values())
        winners = [g.active[g.best[0]] if g.active is not None else pd.Series(dtype=float) for g in grids.values()]
        dsr = deflate([g.stats["active_sharpe"].to_numpy() for g in grids.values()], winners)
        for (model, _), value in zip(grids.items(), dsr, strict=True):
            chosen[model] |= {"n_trials": n_all, "validation_dsr": value}
    return chosen, all_w, grids


def sharpe_gaps(results: list[BacktestResult], se_reps: int) -> list[tuple[float, float]]:
    """Each backtest's Sharpe ratio minus its buy and hold's and the gap's standard error
    (:func:`core.evaluation.performance.sharpe_difference`, ``short="nan"``), in order; the
    backtests of one span (the same benchmark and rates) share one call of
    :func:`~core.evaluation.performance.sharpe_differences`.
    """
    spans: dict[tuple[int, int], list[int]] = {}
    for i, res in enumerate(results):
        spans.setdefault((id(res.benchmark), id(res.risk_free)), []).append(i)
    out: list[tuple[float, float]] = [(np.nan, np.nan)] * len(results)
    for members in spans.values():
        first = results[members[0]]
        risk_free = first.risk_free if first.risk_free is not None else 0.0
        gaps = sharpe_differences(
            [results[i].returns for i in members], first.benchmark, reps=se_reps, risk_free=risk_free, short="nan"
        )
        for i, gap in zip(members, gaps, strict=True):
            out[i] = gap
    return out


def _threshold_rows(results: dict[str, BacktestResult], chosen: dict, se_reps: int) -> pd.DataFrame:
    """The threshold table: one row per model (its gap to buy and hold, hit rate and
    thresholds) and buy and hold's, with the scored window in ``attrs``.
    """
    rows = {}
    gaps = sharpe_gaps(list(results.values()), se_reps)
    for (model, res), (diff, se) in zip(results.items(), gaps, strict=True):
        held = res.weights.reindex(res.returns.index)
        active = held.fillna(0) != 0
        hits = np.sign(held[active]) == np.sign(res.benchmark[active])
        rows[model] = {
            **_row(res.stats.iloc[0], None, diff, se),
            "hit_rate": float(hits.mean()) if active.any() else np.nan,
            **chosen[model],
        }
    bench = next(iter(results.values()))
    rows["buy_and_hold"] = {
        **_row(bench.stats.loc["buy_and_hold"], None, 0.0, np.nan),
        "hit_rate": float((bench.benchmark > 0).mean()),
        "upper": np.nan,
        "lower": np.nan,
        "n_trials": np.nan,
        "validation_dsr": np.nan,
    }
    table = pd.DataFrame.from_dict(rows, orient="index")[list(THRESHOLD_COLUMNS)]
    table.index.name = "model"
    return table
