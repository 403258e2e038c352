"""One self-contained HTML report: CSS inline, figures as data URIs, tear sheets in
sandboxed ``srcdoc`` frames (no script runs in them). Every user string (run,
symbol and model names) is HTML-escaped where it is written. It opens offline from disk and can be mailed as one file.

Sections, in reading order: run summary, forecast leaderboard (with
significance marks), losses by regime and by fold, forecast figures, training
curves and attention, strategies, return forecasts (their leaderboards, the
Goyal-Welch chart and the threshold strategies), tear sheets.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from core.errors import ParameterError
from core.evaluation.performance import blank_se_reason
from core.evaluation.universe import UniverseBoard
from core.tables import ScoredTable, Window
from reports import figures, interactive
from reports.leaderboards import LEADERBOARDS
from reports.metrics import (
    diebold_mariano,
    forecast_groups,
    group_label,
    historical_mean_forecast,
    leaderboard,
    per_date_losses,
    regimes,
    split_table,
    strongest_baselines,
)
from reports.tail_tests import RISK_TABLE
from reports.tearsheet import cached_tearsheet_html
from signals.base import BaseForecaster, Target, implied_return, realized_target
from strategies.backtest import BacktestResult
from strategies.evaluate import STRATEGY_TABLE, THRESHOLD_TABLE
from strategies.portfolio import PORTFOLIO_TABLE

__all__ = ["SECTIONS", "ForecastResults", "ReportInputs", "flag_lines", "headline", "render", "write_report"]

#: Section ids, in order; the browser test checks each is present.
SECTIONS = (
    "summary",
    "leaderboard",
    "regimes",
    "folds",
    "forecasts",
    "training",
    "strategies",
    "risk",
    "returns",
    "tearsheets",
)

_CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif;
       margin: 0; color: #1c2430; background: #f6f7f9; }
header { background: #14213d; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header p { margin: 0; opacity: .85; }
nav { background: #fff; border-bottom: 1px solid #dde1e7; padding: 8px 32px; position: sticky; top: 0; z-index: 2; }
nav a { margin-right: 16px; color: #14213d; text-decoration: none; font-weight: 600; }
main { padding: 8px 32px 40px 32px; max-width: 1200px; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 14px 20px; margin-top: 18px; }
h2 { font-size: 18px; margin: 4px 0 10px 0; }
h3 { font-size: 15px; margin: 14px 0 6px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e9ee; text-align: right; white-space: nowrap; }
details.more summary { color: #55606e; font-size: 12.5px; cursor: pointer; margin-bottom: 6px; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f2f5; }
.best { background: #e8f5e9; font-weight: 600; }
.note { color: #55606e; font-size: 12.5px; }
.warn { color: #8a4b00; }
.headline { background: #eef4ff; border: 1px solid #c9d8f5; border-radius: 6px;
            padding: 4px 16px 8px 16px; margin-bottom: 10px; }
.headline li { margin: 3px 0; }
pre.config { background: #f6f7f9; border: 1px solid #e6e9ee; padding: 8px 12px; font-size: 12.5px; overflow-x: auto; }
figure { margin: 10px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eef0f3; }
figcaption { color: #55606e; font-size: 12.5px; }
iframe.tearsheet { width: 100%; height: 4700px; border: 1px solid #dde1e7; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dl.kv dt { font-weight: 600; } dl.kv dd { margin: 0; }
"""


class ForecastResults(Protocol):
    """What a report reads of a walk-forward result (``engine.walkforward.WalkForwardResult``
    has it; reports never import the engine).
    """

    @property
    def forecasts(self) -> pd.DataFrame:
        """Forecasts by (symbol, date), a column per model, and the fold."""
        ...

    @property
    def fits(self) -> pd.DataFrame:
        """One row per (symbol, model, fold): fit facts."""
        ...

    @property
    def histories(self) -> Mapping[Any, pd.DataFrame]:
        """Training curves by (symbol, model, fold)."""
        ...

    @property
    def attention(self) -> Mapping[Any, pd.Series]:
        """Attention weights by lag, by (symbol, model, fold)."""
        ...

    @property
    def folds(self) -> Mapping[str, list[Any]]:
        """The folds of each symbol."""
        ...

    @property
    def frames(self) -> Mapping[str, pd.DataFrame]:
        """The feature frame of each symbol."""
        ...

    @property
    def models(self) -> Mapping[str, BaseForecaster]:
        """The forecasters by name."""
        ...

    @property
    def symbols(self) -> list[str]:
        """The symbols forecast."""
        ...

    def for_symbol(self, symbol: str | None = None) -> pd.DataFrame:
        """Forecasts of one symbol, indexed by date."""
        ...


@dataclass
class ReportInputs:
    """What a report is made of (computed by the caller; reports never train a model).

    Attributes
    ----------
    title : str
    summary : dict of label to text (config, data source and dates, versions, data hash)
    result : WalkForwardResult
    baselines : dict of horizon to str, the model each variance group is tested against
        (default: the run's strongest econometric model, :func:`reports.metrics.strongest_baselines`)
    vix : Series, optional, VIX close by date, for the regime split
    strategies : dict of (model, strategy) to BacktestResult, per symbol
    strategy_tables : dict of symbol to the strategy table with its days (:class:`core.tables.ScoredTable`)
    strategy_note : str, how the strategies were set up (shown above their table)
    leaderboards : dict of symbol to :func:`reports.metrics.leaderboard`, optional
        Computed here when missing; a caller that already has them passes them
        (the model confidence set is a bootstrap, not worth running twice).
    tearsheets : bool, include quantstats tear sheets
    threshold_tables : dict of symbol to :func:`strategies.evaluate.threshold_table`'s table with its days
    threshold_strategies : dict of symbol to its backtests, by model
    threshold_note : str, how return forecasts were traded
    detail : list of str, optional
        Assets drawn with figures and tear sheets besides the first :data:`MAX_DETAIL`
        (which are always drawn, without tear sheets in a large universe). With more
        assets than that, each asset's tables are folded.
    universe : dict of horizon to :func:`core.evaluation.universe.universe_leaderboard`'s board
    universe_note : str, what the universe leaderboard's columns mean
    portfolio_table : ScoredTable, optional, :func:`strategies.portfolio.portfolio_table`'s table with its days
    portfolio : dict of (model, scheme) to BacktestResult, its backtests
    portfolio_weights : dict of (model, scheme) to :class:`strategies.portfolio.PortfolioWeights`
    portfolio_note : str, how the universe was traded and where it was scored
    risk : dict of symbol to :func:`reports.tail_tests.tail_table`'s scored table (VaR and ES backtests)
    risk_tails : dict of symbol to each model's :func:`signals.tail_risk.tail_forecasts`
    risk_note : str, how the VaR and ES were made
    cache_dir : Path, optional
        Where quantstats tear sheets are kept between renders of one run
        (:func:`reports.tearsheet.cached_tearsheet_html`); none by default.
    """

    title: str
    summary: Mapping[str, str]
    result: ForecastResults
    baselines: Mapping[int, str] = field(default_factory=dict)
    vix: pd.Series | None = None
    strategies: Mapping[str, Mapping[tuple[str, str], BacktestResult]] = field(default_factory=dict)
    strategy_tables: Mapping[str, ScoredTable] = field(default_factory=dict)
    strategy_note: str = ""
    leaderboards: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    tearsheets: bool = True
    threshold_tables: Mapping[str, ScoredTable] = field(default_factory=dict)
    threshold_strategies: Mapping[str, Mapping[str, BacktestResult]] = field(default_factory=dict)
    threshold_note: str = ""
    detail: Sequence[str] | None = None
    universe: Mapping[int, UniverseBoard] = field(default_factory=dict)
    universe_note: str = ""
    portfolio_table: ScoredTable | None = None
    portfolio: Mapping[tuple[str, str], BacktestResult] = field(default_factory=dict)
    portfolio_weights: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    portfolio_note: str = ""
    risk: Mapping[str, ScoredTable] = field(default_factory=dict)
    risk_tails: Mapping[str, Mapping[str, pd.DataFrame]] = field(default_factory=dict)
    risk_note: str = ""
    cache_dir: Path | None = None


def _table(
    df: pd.DataFrame, *, highlight_min: str | None = None, floatfmt: str = "{:.4g}", main: list[str] | None = None
) -> str:
    """An HTML table; with ``main``, those columns only, and the whole table on
    demand below it (a wide table in full would overflow its card).
    """
    out = df.copy()
    best = (
        out[highlight_min].idxmin()
        if highlight_min and highlight_min in out and out[highlight_min].notna().any()
        else None
    )

    def html_of(frame: pd.DataFrame) -> str:
        body = frame.to_html(float_format=lambda v: floatfmt.format(v), na_rep="–", border=0, escape=True)
        if best is not None:
            body = body.replace(
                f"<th>{html.escape(str(best))}</th>", f'<th class="best">{html.escape(str(best))}</th>', 1
            )
        return body

    shown = [c for c in (main or []) if c in out.columns]
    if not shown or len(shown) == out.shape[1]:
        return f'<div class="scroll">{html_of(out)}</div>'
    return (
        f'<div class="scroll">{html_of(out[shown])}</div><details class="more"><summary>all {out.shape[1]} '
        f'columns</summary><div class="scroll">{html_of(out)}</div></details>'
    )


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


#: With more assets than this, a report folds each asset's tables, draws figures for
#: the first ``MAX_DETAIL`` assets only, and per-asset tear sheets (about 1 MB each)
#: only for assets named by ``ReportInputs.detail`` (``tradecast report --detail``);
#: the portfolio keeps its own. So a report stays small and quick to read.
MAX_DETAIL = 4

#: What a figure call returns for an asset drawn without figures.
_SKIPPED = "skipped"


class _NoFigures:
    """Stands in for :mod:`reports.figures` for an asset without figures: draws nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: _SKIPPED


def _colors(inputs: ReportInputs) -> dict[str, str]:
    """One colour per model of the run, the same in every figure and chart of the report."""
    return figures.model_colors(list(inputs.result.models))


def _detail_symbols(inputs: ReportInputs) -> set[str]:
    """The assets drawn with figures and tear sheets."""
    symbols = list(inputs.result.symbols)
    if inputs.detail is not None:
        unknown = [s for s in inputs.detail if s not in symbols]
        if unknown:
            raise ParameterError(
                f"report: detail names {', '.join(map(repr, unknown))}, not among the run's symbols "
                f"({', '.join(symbols)}). Hint: --detail {symbols[0]}."
            )
        return set(symbols[:MAX_DETAIL]) | set(inputs.detail)  # the named ones are added, not swapped in
    return set(symbols[:MAX_DETAIL])


def _merge_asset(parts: dict, sym_parts: dict, sym: str, *, fold: bool, draw: bool) -> None:
    """One asset's blocks into the report: as they are, or folded under the asset's name for a large universe."""
    for section, blocks in sym_parts.items():
        if not blocks:
            continue
        if not fold:
            parts[section].extend(blocks)
            continue
        more = "" if draw else " (tables only)"
        parts[section].append(
            f'<details class="asset"><summary>{html.escape(sym)}{more}</summary>{"".join(blocks)}</details>'
        )


def _sig_column(pvalues: pd.Series, stats: pd.Series) -> list[str]:
    """Stars of a DM p-value and the direction (▼ lower loss, ▲ higher), blank where not significant."""
    return [
        _stars(p) + (" ▼" if z < 0 else " ▲" if z > 0 else "") if _stars(p) else ""
        for p, z in zip(pvalues, stats, strict=True)
    ]


def _figure(uri: str | None, caption: str) -> str:
    if uri == _SKIPPED:
        return ""
    if uri is None:
        return f'<p class="note">{html.escape(caption)}: nothing to show for this run.</p>'
    return (
        f'<figure><img src="{uri}" '
        f'alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}</figcaption></figure>'
    )


def _chart(fragment: str, caption: str) -> str:
    """A zoomable chart (:mod:`reports.interactive`) with its caption; nothing for an asset drawn without figures."""
    if fragment == _SKIPPED:
        return ""
    return f"<figure>{fragment}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _srcdoc(doc: str) -> str:
    return html.escape(doc, quote=True)


def _cost_table(res, sym: str, device: str | None = None) -> str:
    """What each model cost: fitted parameters, fit and predict seconds (a pooled fit
    charged in equal shares to the symbols it served), folds read back from a run folder;
    ``device``: where the networks ran, in words (the run summary's).
    """
    fits = res.fits.xs(sym, level="symbol")
    by = fits.groupby(level="model", sort=False)
    cost = pd.DataFrame(
        {
            "parameters": by["parameters"].max() if "parameters" in fits else np.nan,
            "fit_seconds": by["fit_seconds"].sum(),
            "fit_seconds_per_fold": by["fit_seconds"].mean(),
            "predict_seconds": by["predict_seconds"].sum(),
            "folds_read_back": by["cached"].sum(),
        }
    ).reindex(list(res.models))
    shared = fits["shared_by"].groupby(level="model").max() if "shared_by" in fits else pd.Series(dtype=float)
    pooled = [f"{m} ({int(n)} assets)" for m, n in shared.items() if n > 1]
    split = (
        f" A pooled fit serves several assets; its seconds are split among them, this asset's share shown: "
        f"{', '.join(pooled)}."
        if pooled
        else ""
    )
    return (
        "<h4>Cost per model</h4>"
        + _table(cost, floatfmt="{:.3g}")
        + '<p class="note">parameters: what the model learned (weights, coefficients); 0 for fixed rules. Seconds on '
        + html.escape(f"this machine (networks on {device})" if device else "this machine")
        + "; folds read back from the run folder cost nothing again. The run's wall time per stage is in "
        f"the summary.{html.escape(split)}</p>"
    )


def _search_table(res, sym: str) -> str:
    """The values each searched model chose in each fold (``search_*`` fit facts), or nothing."""
    fits = res.fits.xs(sym, level="symbol")
    cols = [c for c in fits.columns if str(c).startswith("search_")]
    if not cols:
        return ""
    chosen = fits[cols].dropna(how="all")
    if chosen.empty:
        return ""
    models = {m: res.models[m] for m in chosen.index.get_level_values("model").unique()}
    rows = {}
    for (model, k), row in chosen.iterrows():
        space = getattr(models[model], "space", {}) or {}
        out = {}
        for c, v in row.dropna().items():
            key = str(c).removeprefix("search_")
            if key.endswith("_choice") and key.removesuffix("_choice") in space:
                key = key.removesuffix("_choice")
                v = space[key][int(v)]
            out[key] = v
        rows[(model, _fold_label(res, sym, k))] = out
    table = pd.DataFrame.from_dict(rows, orient="index").astype(object)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["model", "fold"])
    return (
        "<h4>Hyperparameters chosen in each fold</h4>"
        + _table(table, floatfmt="{:.4g}")
        + '<p class="note">Each fold searched on the last rows of its own training window (the validation tail) and '
        "refitted the best values on all of them; val_loss is the tail's mean loss. No test row was seen.</p>"
    )


def _fold_label(res, sym: str, k) -> str:
    """A fold by the first day it forecasts (``2008-01-02``), not by its number."""
    folds = {f.id: f for f in res.folds.get(sym, [])}
    fold = folds.get(k)
    if fold is None:
        return str(k)
    return str(res.frames[sym].index[fold.test.start].date())


def _leaderboard_section(parts: dict, board: pd.DataFrame, kind: str, h: int, head: str) -> None:
    """One group's leaderboard (models of one target kind and horizon) with its notes:
    variance groups in the leaderboard section, return and price groups in the returns one.
    """
    section = "leaderboard" if kind == "variance" else "returns"
    main = "qlike" if kind == "variance" else "mse"
    base = None
    if kind == "variance":
        bases = [
            c.removeprefix("qlike_vs_") for c in board.columns if c.startswith("qlike_vs_") and board[c].notna().any()
        ]
        base = bases[0] if bases else None
    schema = LEADERBOARDS[kind]
    shown = board[[c for c in schema.columns if c in board and board[c].notna().any()]].copy()
    if base is not None:
        shown.insert(2, f"qlike_vs_{base}", board[f"qlike_vs_{base}"])
        shown.insert(
            3,
            "sig",
            _sig_column(board["dm_pvalue"], board["dm_stat"]),
        )
    shown.insert(len(shown.columns), "in_mcs", np.where(board["in_mcs"].astype(bool), "✓", ""))
    if "smearing" in board and board["smearing"].notna().any():
        shown["smearing"] = board["smearing"]
    flagged = board["flag"][board["flag"].fillna("").astype(bool)] if "flag" in board else pd.Series(dtype=object)
    key = [*schema.main, *([f"qlike_vs_{base}", "sig"] if base else []), "in_mcs", "smearing"]
    parts[section].append(
        head + _table(shown, highlight_min=main if main in shown else None, main=[c for c in shown.columns if c in key])
    )
    for model, text in flagged.items():
        parts[section].append(f'<p class="note warn">⚠ {html.escape(str(model))}: {html.escape(str(text))}.</p>')
    if kind != "variance":
        parts[section].append(
            f'<p class="note">{html.escape(schema.note)} in_mcs: in the 90 % model confidence set of this group '
            f"(squared errors). Only models of this target and horizon are compared.</p>"
        )
        return
    target = "the mean realised variance of the " + (f"next {h} days" if h > 1 else "target day")
    parts[section].append(
        f'<p class="note">QLIKE, MSE and log-MSE against {html.escape(target)}; lower is better. Only models of this '
        "target and horizon are compared. "
        + (
            f"sig: Diebold–Mariano test against {html.escape(base)} on QLIKE with Newey–West variance, *** "
            "p&lt;0.01, ** p&lt;0.05, * p&lt;0.1; ▼ lower loss, ▲ higher. "
            if base
            else ""
        )
        + (
            f"{html.escape(spa_line(board, base) or '')}; spa_pvalue in the full table: each model as the benchmark. "
            if spa_line(board, base)
            else ""
        )
        + "in_mcs: in the 90 % model confidence set of this group (Hansen, Lunde and Nason). direction: share of "
        "days on which the forecast called the move of realised variance from the day before. mz: "
        "Mincer–Zarnowitz regression of realised on forecast (unbiased: intercept 0, slope 1).</p>"
    )


def _threshold_section(
    parts: dict, inputs: ReportInputs, sym: str, head: str, *, draw: bool = True, sheets: bool = True
) -> None:
    """The threshold strategies of the return models against buy and hold on their common window."""
    scored = inputs.threshold_tables.get(sym)
    strat = inputs.threshold_strategies.get(sym, {})
    if scored is None or scored.window is None or not strat:
        return
    table = scored.table
    note = f'<p class="note">{html.escape(inputs.threshold_note)}</p>' if inputs.threshold_note else ""
    window = (
        f'<p class="note">Every threshold strategy and buy and hold are scored on the same {scored.window.span()}. '
        "sharpe_vs_bh: Sharpe minus buy and hold's on those days, with its "
        "circular-block-bootstrap standard error. hit_rate: share of days in the market whose return had the "
        f"position's sign.{_blank_se(scored.window)}</p>"
    )
    if scored.validation is not None:
        window += (
            f'<p class="note">Thresholds were chosen on {scored.validation.dates()}, with the costs they are scored '
            "with; n_trials counts every value tried for every model there (one search), and validation_dsr is "
            "each winner's deflated Sharpe ratio on that window against buy and hold: the probability that its "
            "edge over buy and hold there was more than the luck of that many tries. It speaks of the validation "
            "window, not of the Sharpe ratios above.</p>"
        )
    parts["returns"].append(
        head
        + "<h4>Threshold strategies</h4>"
        + note
        + window
        + _table(table, floatfmt="{:.3f}", main=THRESHOLD_TABLE.main_of(table.columns))
    )
    best = table.drop(index="buy_and_hold")["sharpe"].idxmax()
    bench = next(iter(strat.values())).benchmark
    charts: Any = interactive if draw else _NoFigures()
    parts["returns"].append(
        _chart(
            charts.equity_charts(
                {f"{best}/threshold": strat[best].returns},
                bench,
                benchmark_name="buy and hold",
                group=f"{sym}-th",
                colors=_colors(inputs),
            ),
            f"Equity and drawdown of the best threshold strategy ({best}) against buy and hold, on the table's days",
        )
    )
    if sheets:
        doc = cached_tearsheet_html(
            strat[best].returns, strat[best].benchmark, title=f"{sym}: {best} threshold", cache_dir=inputs.cache_dir
        )
        parts["tearsheets"].append(
            f'<h3>{html.escape(f"{sym}: {best} / threshold")}</h3><iframe class="tearsheet" sandbox="" '
            f'title="{html.escape(best)} threshold tear sheet" srcdoc="{_srcdoc(doc)}"></iframe>'
        )


def _risk_section(parts: dict, inputs: ReportInputs, sym: str, head: str, *, draw: bool = True) -> None:
    """VaR and ES backtests of every one-day variance model, and the baseline's VaR band."""
    scored = inputs.risk.get(sym)
    if scored is None or scored.table.empty or scored.window is None:
        return
    table = scored.table
    note = (
        f'<p class="note">{html.escape(inputs.risk_note)}. Scored on the same {int(table["n"].iloc[0])} days for '
        f"every model, {scored.window.dates()}. rate: share of days whose return fell below minus the "
        "VaR (a 1 % VaR should be broken on 1 % of days); kupiec_p: unconditional coverage; independence_p and "
        "cc_p: Christoffersen's independence and conditional coverage (violations that cluster fail them); "
        "es_mean and es_p: McNeil and Frey's exceedance residuals and their one-sided bootstrap p-value (small: "
        "losses beyond the VaR are larger than the ES said); tick_loss: the quantile loss of the VaR, lower is "
        "better, with its ratio to the baseline's and a Diebold–Mariano p-value where there is a baseline.</p>"
    )
    shown = table.reset_index()
    shown["level"] = [f"{100 * a:g} %" for a in shown["level"]]
    shown = shown.set_index(["model", "method", "level"])
    main = RISK_TABLE.main_of(map(str, shown.columns))
    parts["risk"].append(head + note + _table(shown, floatfmt="{:.4g}", main=main))
    tails = inputs.risk_tails.get(sym, {})
    base = next((b for b in inputs.baselines.values() if b in tails), None) or next(iter(tails), None)
    if base is None or not draw:
        return
    method = "fhs" if "fhs" in tails[base].columns.get_level_values(0) else tails[base].columns[0][0]
    level = min(tails[base].columns.get_level_values(1))
    band = tails[base].loc[scored.window.first : scored.window.last]
    returns = np.log(inputs.result.frames[sym]["close"]).diff()
    parts["risk"].append(
        _figure(
            figures.var_band(returns, band[(method, level, "var")], band[(method, level, "es")], f"{base}, {method}"),
            f"Daily returns against minus the {100 * level:g} % VaR and ES of {base} ({method}), violations in red",
        )
    )


def _universe_section(parts: dict, inputs: ReportInputs) -> None:
    """The universe leaderboard per horizon, with the per-asset ratios on demand."""
    for h, board in inputs.universe.items():
        summary, ratios, base = board.summary, board.ratios, board.baseline
        shown = summary.copy()
        shown.insert(
            shown.columns.get_loc("panel_dm_pvalue") + 1,
            "sig",
            _sig_column(shown["panel_dm_pvalue"], shown["panel_dm_stat"]),
        )
        per_asset = ratios.T
        per_asset.index.name = "asset"
        parts["leaderboard"].append(
            f"<h3>Universe of {len(ratios.columns)} assets: variance, {h} day{'s' if h > 1 else ''} ahead</h3>"
            + _table(shown, highlight_min="mean_rank")
            + f'<p class="note">{html.escape(inputs.universe_note)}</p>'
            + f"<details><summary>QLIKE ratio to {html.escape(base)} per asset "
            f"({len(per_asset)} assets)</summary>{_table(per_asset)}</details>"
        )
        rivals = [m for m in summary.index if m != base and m in ratios.index]
        if not rivals:
            continue
        colors = _colors(inputs)
        parts["leaderboard"].append(
            _figure(
                figures.ratio_by_asset(ratios, rivals[0], str(base), colors=colors),
                f"QLIKE ratio to {base} on each asset, sorted by {rivals[0]}'s (bars; the first model by mean rank), "
                "the other models as dots: below 1 beats the baseline on that asset",
            )
        )
        diff = _mean_loss_difference(inputs, [*rivals, str(base)], str(base), h)
        if diff is not None:
            parts["leaderboard"].append(
                _figure(
                    figures.mean_cumulative_loss_difference(diff, str(base), colors=colors),
                    f"Cross-asset mean QLIKE minus {base}'s, cumulated: a falling line beats the baseline on the "
                    "universe as a whole (the series the panel Diebold–Mariano test is about)",
                )
            )


def _mean_loss_difference(inputs: ReportInputs, models: list[str], base: str, h: int) -> pd.DataFrame | None:
    """Per date, the mean over assets of each model's QLIKE minus the baseline's (models x dates)."""
    res = inputs.result
    rows = []
    for sym in res.symbols:
        fc = res.for_symbol(sym)
        present = [m for m in models if m in fc.columns]
        if base not in present or len(present) < 2:
            continue
        losses = per_date_losses(fc[present], realized_target(res.frames[sym], "variance", h))
        rows.append(losses.drop(columns=base).sub(losses[base], axis=0))
    if not rows:
        return None
    return pd.concat(rows).groupby(level=0).mean().sort_index()


def _portfolio_section(parts: dict, inputs: ReportInputs) -> None:
    """The universe's portfolios against equal weight: table, equity, realised vol, risk shares."""
    scored = inputs.portfolio_table
    if scored is None or scored.window is None or not inputs.portfolio:
        return
    table, window = scored.table, scored.window
    n_assets = next(iter(inputs.portfolio.values())).weights.shape[1]
    block = (
        f"<h3>Portfolio of {n_assets} assets</h3>"
        + f'<p class="note">{html.escape(inputs.portfolio_note)}</p>'
        + _table(table, floatfmt="{:.3f}", main=PORTFOLIO_TABLE.main_of(table.columns))
    )
    ranked = table.drop(index="equal_weight", level="model")["sharpe"]
    best = ranked.idxmax()[0]
    chosen = {f"{m}/{sch}": r for (m, sch), r in inputs.portfolio.items() if m == best}
    bench = next(iter(inputs.portfolio.values())).benchmark.rename("equal_weight")
    block += _chart(
        interactive.equity_charts(
            {k: r.returns for k, r in chosen.items()}, bench, benchmark_name="equal weight", group="portfolio"
        ),
        f"Equity and drawdown of {best}'s portfolios (the model with the best portfolio Sharpe ratio) against equal "
        "weight, on the table's days",
    )
    vt = inputs.portfolio.get((best, "vol_target"))
    if vt is not None and vt.target_vol:
        block += _figure(
            figures.realized_vs_target_vol(vt.returns, vt.target_vol),
            f"Realised against target volatility of {best}'s portfolio vol target",
        )
    first, last = window.first, window.last  # the days the table scores, for every scheme
    shares = {
        sch: pw.risk_shares.loc[first:last].mean() for (m, sch), pw in inputs.portfolio_weights.items() if m == best
    }
    weights = {f"weight {sch}": r.weights.mean() for (m, sch), r in inputs.portfolio.items() if m == best}
    if shares:
        risk = pd.concat({**{f"risk share {k}": v for k, v in shares.items()}, **weights}, axis=1)
        risk.index.name = "asset"
        block += (
            f"<details><summary>Mean weight and ex-ante risk share per asset, {html.escape(best)}'s portfolios"
            f'</summary>{_table(risk, floatfmt="{:.3f}")}<p class="note">risk share: the asset\'s part of the '
            "forecast portfolio variance, w_i (Σw)_i / w'Σw, averaged over the days held; equal risk spreads it "
            "evenly, inverse volatility ignores correlation.</p></details>"
        )
    parts["strategies"].append(block)
    if inputs.tearsheets and vt is not None:
        doc = cached_tearsheet_html(
            vt.returns, bench, title=f"portfolio: {best} vol_target", cache_dir=inputs.cache_dir
        )
        parts["tearsheets"].append(
            f'<h3>{html.escape(f"portfolio: {best} / vol_target")}</h3><iframe class="tearsheet" sandbox="" '
            f'title="portfolio tear sheet" srcdoc="{_srcdoc(doc)}"></iframe>'
        )


def _strongest_cheap_rival(inputs: ReportInputs, group: pd.DataFrame, best: str) -> str | None:
    """The best-ranked model of ``group`` (a leaderboard group, best first) other than
    ``best`` that is not a network (``relative_cost`` below 100: HAR, HAR-X, GARCH,
    EWMA, ...), when it is not the leaderboard's baseline already; else None.
    """
    if inputs.result.models[best].relative_cost < 100:
        return None  # the best is itself an econometric model
    for name in group.index[1:]:
        model = inputs.result.models.get(name)
        if model is not None and model.relative_cost < 100:
            return None if f"qlike_vs_{name}" in group.columns else name
    return None


def _significance(p: float) -> str:
    if not np.isfinite(p):
        return "not tested"
    return f"Diebold–Mariano p = {p:.2g}, " + ("significant at 5 %" if p < 0.05 else "not significant at 5 %")


def _gap(row: pd.Series, against: str = "buy and hold", column: str = "sharpe_vs_bh") -> str:
    """Sharpe ratio and its gap to the benchmark (``column``, with ``column + "_se"``), with the verdict."""
    gap, se = float(row[column]), float(row[f"{column}_se"])
    if not np.isfinite(gap):
        return "no trades"
    if not np.isfinite(se):  # too few days for the bootstrap: no error, so no verdict either way
        return f"Sharpe {row['sharpe']:.3f}, {gap:+.3f} against {against} (no standard error, so no verdict)"
    verdict = "more than two standard errors" if abs(gap) > 2 * se else "within two standard errors: noise"
    return f"Sharpe {row['sharpe']:.3f}, {gap:+.3f} ± {se:.3f} against {against} ({verdict})"


def _universe_headline(inputs: ReportInputs) -> list[str]:
    """A universe's findings: the best model by mean rank against the baseline, and the best portfolio."""
    lines = []
    for h, board in list(inputs.universe.items())[:1]:
        summary, base = board.summary, board.baseline
        rivals = summary.drop(index=base)
        if len(rivals):
            best = rivals.index[0]
            r = rivals.loc[best]
            lines.append(
                f"universe of {int(r['assets'])} assets: best variance forecaster by mean rank {best} "
                f"({r['mean_rank']:.2f}), {h} day{'s' if h > 1 else ''} ahead: mean QLIKE ratio to {base} "
                f"{r['mean_ratio']:.3f}, lower on {int(r['beats'])} of {int(r['assets'])} assets "
                f"({int(r['beats_dm'])} significantly, {int(r['loses_dm'])} significantly worse); on the "
                f"cross-sectional mean loss, {_significance(r['panel_dm_pvalue'])}."
            )
    scored = inputs.portfolio_table
    if scored is not None and scored.window is not None and len(scored.table) > 1:
        rows = scored.table.drop(index="equal_weight", level="model")
        top = rows["sharpe"].idxmax()
        first, last = scored.window.first, scored.window.last
        if (rows["sharpe_vs_ew"] <= 0).all():
            # every portfolio loses to equal weight: naming one "best" would read as a win
            lines.append(
                f"no portfolio beats equal weight on {first.date()} to {last.date()}: all {len(rows)} have a lower "
                f"Sharpe ratio (gaps {rows['sharpe_vs_ew'].min():+.3f} to {rows['sharpe_vs_ew'].max():+.3f}); the "
                f"closest, {'/'.join(top)}: {_gap(rows.loc[top], 'equal weight', 'sharpe_vs_ew')}."
            )
        else:
            lines.append(
                f"best portfolio {'/'.join(top)} on {first.date()} to {last.date()}: "
                f"{_gap(rows.loc[top], 'equal weight', 'sharpe_vs_ew')}. Chosen after the fact as the best of "
                f"{len(rows)}, so its gap flatters it."
            )
        vt = rows.xs("vol_target", level="scheme") if "vol_target" in rows.index.get_level_values("scheme") else None
        if vt is not None and len(vt):
            lines.append(
                f"portfolio vol target {100 * vt['target_vol'].iloc[0]:g} %: realised "
                f"{100 * vt['realised_vol'].min():.1f} to {100 * vt['realised_vol'].max():.1f} % over the "
                f"{len(vt)} forecasters (correlations included in the covariance forecast)."
            )
    return lines


def _baselines(inputs: ReportInputs) -> dict[int, str]:
    """The run's baseline per variance horizon: as given, else its strongest econometric model."""
    if inputs.baselines:
        return dict(inputs.baselines)
    res = inputs.result
    return strongest_baselines({sym: res.for_symbol(sym) for sym in res.symbols}, res.frames, res.models)


def spa_line(board: pd.DataFrame, base: str | None) -> str | None:
    """Hansen's SPA test with the group's baseline as the benchmark, in words (None without one)."""
    if base is None or base not in board.index or "spa_pvalue" not in board or pd.isna(board.loc[base, "spa_pvalue"]):
        return None
    p = float(board.loc[base, "spa_pvalue"])
    rivals = len(board) - 1
    verdict = (
        "some model beats it, the data snooping of trying them all accounted for"
        if p < 0.05
        else "no model beats it beyond what trying them all would give by luck"
    )
    return (
        f"superior predictive ability (Hansen's SPA test, {rivals} rivals, QLIKE) with {base} as the benchmark: "
        f"p {p:.3g}: {verdict} (at 5 %)"
    )


def flag_lines(boards: Mapping[str, pd.DataFrame]) -> list[str]:
    """The leaderboards' flags as lines, warnings first, each said once: a flag that several
    assets raise for one model is one line naming how many (and the first few), with the
    first asset's figures and the range of the first figure across them.
    """
    grouped: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for sym, board in boards.items():
        for model, text in board.get("flag", pd.Series(dtype=object)).items():
            for part in filter(None, str(text or "").split("; ")):
                level, _, message = part.partition(": ")
                kind = re.sub(r"[0-9.e+-]+", "#", message)
                grouped.setdefault((level, str(model), kind), []).append((str(sym), message))
    lines = []
    for (level, model, _), found in sorted(grouped.items(), key=lambda kv: kv[0][0] != "warning"):
        sym, message = found[0]
        if len(boards) == 1:
            lines.append(f"{level}: {model}: {message}.")
        elif len(found) == 1:
            lines.append(f"{level}: {sym}: {model}: {message}.")
        else:
            names = ", ".join(s for s, _ in found[:3]) + (", ..." if len(found) > 3 else "")
            values = [float(m.group()) for _, msg in found if (m := re.search(r"\d+(\.\d+)?(e[+-]?\d+)?", msg))]
            span = f"; across them {min(values):.3g} to {max(values):.3g}" if values else ""
            lines.append(f"{level}: {model} on {len(found)} assets ({names}): {message} (figures of {sym}{span}).")
    return lines


def _other_targets(board: pd.DataFrame, name: str) -> list[str]:
    """The headline's sentences on absolute-return and price forecasters, each against its
    natural benchmark: the historical mean absolute return, and the random walk (and, on
    direction, always forecasting a rise).
    """
    lines = []
    for target, skill, pvalue, who, benchmark, label in (
        (
            "absolute_return",
            "r2_vs_mean",
            "dm_pvalue_vs_mean",
            "absolute-return",
            "historical mean absolute return",
            "R²",
        ),
        ("price", "skill_vs_rw", "dm_pvalue_vs_rw", "price", "random walk", "skill"),
    ):
        rows = board[board["target"] == target]
        if not len(rows) or not rows[skill].notna().any():
            continue
        best = str(rows[skill].idxmax())
        row = rows.loc[best]
        beats = row[skill] > 0 and row[pvalue] < 0.05
        line = (
            f"{name}{('an' if who[0] in 'aeiou' else 'a') if beats else 'no'} {who} forecaster beats the "
            f"{benchmark} out of sample at 5 %: best {best}, "
            f"{label} {row[skill]:+.4f} ({_significance(row[pvalue])})"
        )
        if target == "price":
            line += (
                f"; the direction of the next close called {row['direction']:.3f} of the time against always-up's "
                f"{row['always_up']:.3f}"
            )
        lines.append(line + ".")
    return lines


def _variance_headline(inputs: ReportInputs, sym: str, board: pd.DataFrame, name: str) -> list[str]:
    """The best forecaster of the first variance group against its baseline and against
    the strongest econometric model of the run.
    """
    variance = board[board["target"] == "variance"]
    if not len(variance):
        return []
    group = variance[(variance["horizon"] == variance["horizon"].iloc[0])]
    best = group.index[0]
    ratio = [c for c in group.columns if c.startswith("qlike_vs_") and group[c].notna().any()]
    if ratio and best != ratio[0].removeprefix("qlike_vs_"):
        base = ratio[0].removeprefix("qlike_vs_")
        lines = [
            f"{name}best variance forecaster {best}: QLIKE {group.loc[best, 'qlike']:.4g}, "
            f"{group.loc[best, ratio[0]]:.3f} of {base}'s ({_significance(group.loc[best, 'dm_pvalue'])})."
        ]
    else:
        lines = [f"{name}best variance forecaster {best}: QLIKE {group.loc[best, 'qlike']:.4g}."]
    rival = _strongest_cheap_rival(inputs, group, best)
    if rival is not None:
        h = int(group["horizon"].iloc[0])
        losses = per_date_losses(
            inputs.result.for_symbol(sym)[[best, rival]],
            realized_target(inputs.result.frames[sym], "variance", h),
        ).dropna()
        dm = diebold_mariano(losses[best], losses[rival])
        ratio_r = group.loc[best, "qlike"] / group.loc[rival, "qlike"]
        lines.append(
            f"{name}against the strongest econometric model of the run, {rival} (same dates and horizon): "
            f"{ratio_r:.3f} of its QLIKE ({_significance(dm['dm_pvalue'])})."
        )
    return lines


def _return_headline(board: pd.DataFrame, name: str) -> list[str]:
    """Whether any return forecaster that calls a sign beats the zero forecast at 5 %."""
    returns = board[
        (board["target"] == "return") & board.get("direction", pd.Series(np.nan, index=board.index)).notna()
    ]
    if not len(returns):  # models that call a sign: the zero forecast itself is the benchmark, not a candidate
        return []
    winners = returns[(returns["r2_vs_zero"] > 0) & (returns["dm_pvalue_vs_zero"] < 0.05)]
    best = (winners if len(winners) else returns)["r2_vs_zero"].idxmax()
    r2 = returns.loc[best, "r2_vs_zero"]
    verdict = "a return forecaster beats" if len(winners) else "no return forecaster beats"
    return [
        f"{name}{verdict} the zero forecast out of sample at 5 %: best {best}, R² {r2:+.4f} "
        f"({_significance(returns.loc[best, 'dm_pvalue_vs_zero'])}); signs called "
        f"{returns.loc[best, 'direction']:.3f} of the time against always-long's "
        f"{returns.loc[best, 'always_long']:.3f}."
    ]


def _strategy_headline(inputs: ReportInputs, sym: str, name: str) -> list[str]:
    """The best variance and threshold strategies against buy and hold on the same days."""
    lines = []
    for label, scored in (
        ("strategy", inputs.strategy_tables.get(sym)),
        ("threshold strategy", inputs.threshold_tables.get(sym)),
    ):
        if scored is None or "sharpe_vs_bh" not in scored.table:
            continue
        table = scored.table
        rows = table.drop(index=[i for i in table.index if (i[0] if isinstance(i, tuple) else i) == "buy_and_hold"])
        if rows["sharpe"].notna().any():
            top = rows["sharpe"].idxmax()
            span = f" on {scored.window.dates()}" if scored.window is not None else ""
            chosen = (
                f" Chosen after the fact as the best of {rows['sharpe'].notna().sum()}, so its gap flatters it."
                if rows["sharpe"].notna().sum() > 1
                else ""
            )
            lines.append(
                f"{name}best {label} {'/'.join(top) if isinstance(top, tuple) else top}{span}: "
                f"{_gap(rows.loc[top])}.{chosen}"
            )
    return lines


def headline(inputs: ReportInputs, boards: Mapping[str, pd.DataFrame]) -> list[str]:
    """What the run found, in sentences, for the top of the report: per symbol the
    best forecaster of the first variance (or return) group against its baseline,
    the best strategy against buy and hold on the same days with its standard
    error, the best threshold strategy; then the run's warnings and the audit.
    A universe starts with its leaderboard and portfolio; with more than
    :data:`MAX_DETAIL` assets the per-asset sentences are left to the asset's tables.
    """
    lines = _universe_headline(inputs) + flag_lines(boards)
    if len(boards) <= MAX_DETAIL:
        for sym, board in boards.items():
            name = f"{sym}: " if len(boards) > 1 else ""
            lines += _variance_headline(inputs, sym, board, name)
            lines += _other_targets(board, name)
            lines += _return_headline(board, name)
            lines += _strategy_headline(inputs, sym, name)
    lines += [f"warning: {w}" for w in getattr(inputs.result, "warnings", ())]
    if "causality audit" in inputs.summary:
        lines.append(f"causality audit: {inputs.summary['causality audit']}.")
    return lines


@dataclass(frozen=True)
class _Asset:
    """One asset's place in the report: its name, heading, parts by section, and how it is drawn."""

    sym: str
    head: str
    parts: dict[str, list[str]]
    figs: Any
    charts: Any
    draw: bool
    sheets: bool


_TITLES = {
    "summary": "Run summary",
    "leaderboard": "Forecast leaderboard",
    "regimes": "Losses by regime",
    "folds": "Losses by fold",
    "forecasts": "Forecasts",
    "training": "Training",
    "strategies": "Strategies",
    "risk": "Value-at-Risk and expected shortfall",
    "returns": "Return forecasts",
    "tearsheets": "Tear sheets",
}


def render(inputs: ReportInputs) -> str:
    """The report as one HTML string: the run's summary and headline, the universe and
    portfolio sections, then every asset's part of each section.
    """
    res = inputs.result
    bases = _baselines(inputs)
    boards = {
        sym: inputs.leaderboards.get(sym)
        if inputs.leaderboards.get(sym) is not None
        else leaderboard(res.for_symbol(sym), res.frames[sym], res.models, baseline=dict(bases))
        for sym in res.symbols
    }
    parts: dict[str, list[str]] = {s: [] for s in SECTIONS}
    _summary_section(parts, inputs, boards)
    _universe_section(parts, inputs)
    _portfolio_section(parts, inputs)
    _asset_sections(parts, inputs, boards, bases)
    return _page(inputs, parts)


def _summary_section(parts: dict, inputs: ReportInputs, boards: Mapping[str, pd.DataFrame]) -> None:
    """What the run found, its summary lines and its config."""
    found = headline(inputs, boards)
    parts["summary"].append(
        '<div class="headline"><h3>What this run found</h3><ul>'
        + "".join(
            f'<li class="{"warn" if line.startswith("warning") else ""}">{html.escape(line)}</li>' for line in found
        )
        + "</ul></div>"
    )
    parts["summary"].append(
        '<dl class="kv">'
        + "".join(
            f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>"
            for k, v in inputs.summary.items()
            if k != "config"
        )
        + "</dl>"
    )
    if "config" in inputs.summary:
        parts["summary"].append(
            "<details><summary>The config, as TOML (keys that differ from the default job are marked)</summary>"
            f'<pre class="config">{html.escape(str(inputs.summary["config"]))}</pre></details>'
        )


def _asset_sections(
    parts: dict, inputs: ReportInputs, boards: Mapping[str, pd.DataFrame], bases: Mapping[int, str]
) -> None:
    """Every asset's part of each section; a large universe's undrawn assets grouped in
    one entry per section, not one each beside the drawn ones.
    """
    res = inputs.result
    detail = _detail_symbols(inputs)
    fold = len(res.symbols) > MAX_DETAIL
    rest: dict[str, list[str]] = {s: [] for s in SECTIONS}
    for sym in res.symbols:
        draw = sym in detail
        asset = _Asset(
            sym,
            f"<h3>{html.escape(sym)}</h3>" if len(res.symbols) > 1 else "",
            {s: [] for s in SECTIONS},
            figures if draw else _NoFigures(),
            interactive if draw else _NoFigures(),
            draw,
            # tear sheets are ~1 MB each: a large universe gets them only for the assets named by ``detail``
            inputs.tearsheets and draw and (not fold or sym in (inputs.detail or ())),
        )
        best, base = _forecast_sections(asset, inputs, boards[sym], bases)
        _training_section(asset, inputs)
        _threshold_section(asset.parts, inputs, sym, asset.head, draw=draw, sheets=asset.sheets)
        _risk_section(asset.parts, inputs, sym, asset.head, draw=draw)
        _strategy_section(asset, inputs, best, base)
        _merge_asset(parts if draw or not fold else rest, asset.parts, sym, fold=fold, draw=draw)
    n_rest = sum(1 for sym in res.symbols if fold and sym not in detail)
    for s in SECTIONS:
        if rest[s]:
            parts[s].append(
                f'<details class="assets-rest"><summary>The other {n_rest} assets: tables only (figures for the '
                f"first assets, or those named by tradecast report --detail)</summary>{''.join(rest[s])}</details>"
            )
        if not parts[s]:
            parts[s].append('<p class="note">Nothing in this run for this section.</p>')


def _forecast_sections(
    asset: _Asset, inputs: ReportInputs, board_all: pd.DataFrame, bases: Mapping[int, str]
) -> tuple[Any, Any]:
    """Leaderboard, folds, regimes, forecasts and return figures of each (target, horizon)
    group of one asset. Returns the best model and the baseline of the first variance
    group (their strategies are drawn), or (None, None).
    """
    res = inputs.result
    groups = forecast_groups(res.models)
    best = base = None
    for n_group, ((kind, h), names) in enumerate(groups.items()):
        ghead = asset.head if n_group == 0 else ""
        if len(groups) > 1:
            ghead += f"<h4>{html.escape(group_label(kind, h))} ahead</h4>"
        board = board_all[(board_all["target"] == kind) & (board_all["horizon"] == h)]
        _leaderboard_section(asset.parts, board, kind, h, ghead)
        fc, realized, folds = _fold_section(asset, inputs, kind, h, names, ghead)
        if kind == "return":
            mean = historical_mean_forecast(res.frames[asset.sym], fc.index, h)
            asset.parts["returns"].append(
                _figure(
                    asset.figs.cumulative_sse_difference(fc, realized.reindex(fc.index), mean, colors=_colors(inputs)),
                    "Cumulative squared error of the historical mean minus the model's (Goyal and Welch): "
                    "a rising line beats the historical mean, a falling one loses to it",
                )
            )
        if kind != "variance":
            continue
        gbase = bases.get(h) if bases.get(h) in names else None
        if best is None:
            best, base = board.index[0], gbase
        _variance_sections(asset, inputs, fc, realized, folds, list(board.index[:3]), gbase, h, ghead)
    return best, base


def _fold_section(
    asset: _Asset, inputs: ReportInputs, kind: str, h: int, names: list[str], ghead: str
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """One group's loss per walk-forward fold; returns its forecasts (a price model's as the
    log return it implies), the realised target and the fold table.
    """
    res = inputs.result
    frame, fc_all = res.frames[asset.sym], res.for_symbol(asset.sym)
    scored = cast(Target, kind if kind in ("variance", "absolute_return") else "return")
    realized = realized_target(frame, scored, h)
    fc = fc_all[names]
    if kind == "price":
        fc = implied_return(frame, fc)
    folds = split_table(fc, realized, fc_all["fold"], target=scored)
    folds.index = [_fold_label(res, asset.sym, k) for k in folds.index]
    folds.index.name = "fold (first test day)"
    loss = "QLIKE" if kind == "variance" else "MSE"
    what = (
        f"of the log return each price forecast implies (from the last close), against the realised {h}-day log return"
        if kind == "price"
        else f"against the {html.escape(group_label(kind, h))} target"
    )
    asset.parts["folds"].append(
        ghead + _table(folds) + f'<p class="note">{loss} per walk-forward fold (one refit each), {what}.</p>'
    )
    return fc, realized, folds


def _variance_sections(
    asset: _Asset,
    inputs: ReportInputs,
    fc: pd.DataFrame,
    realized: pd.Series,
    folds: pd.DataFrame,
    top: list[str],
    gbase: str | None,
    h: int,
    ghead: str,
) -> None:
    """A variance group's losses by regime, its forecast chart (the ``top`` models and the
    baseline), the cumulative loss against the baseline and the loss by fold.
    """
    frame = inputs.result.frames[asset.sym]
    labels = regimes(fc.index, vix=inputs.vix, rv=frame["rv"])
    reg = split_table(fc, realized, labels)
    asset.parts["regimes"].append(
        ghead + _table(reg) + f'<p class="note">QLIKE by regime; crisis: {html.escape(labels.attrs["rule"])}.</p>'
    )
    if gbase and gbase not in top:
        top = [*top, gbase]
    y = realized.reindex(fc.index)
    asset.parts["forecasts"].append(
        ghead
        + _chart(
            asset.charts.forecast_chart(fc, y, top, group=f"{asset.sym}-{h}", colors=_colors(inputs)),
            f"Forecast against realised volatility (annualised, {group_label('variance', h)} ahead): the three "
            "best models by QLIKE and the baseline",
        )
    )
    if gbase:
        asset.parts["forecasts"].append(
            _figure(
                asset.figs.cumulative_loss_difference(per_date_losses(fc, realized), gbase, colors=_colors(inputs)),
                f"Cumulative QLIKE minus {gbase}'s: a falling line beats the baseline",
            )
        )
    asset.parts["forecasts"].append(_figure(asset.figs.loss_by_fold(folds, colors=_colors(inputs)), "QLIKE by fold"))


def _training_section(asset: _Asset, inputs: ReportInputs) -> None:
    """Fit costs, chosen hyperparameters, training curves and attention of one asset's models."""
    res, sym = inputs.result, asset.sym
    frame = res.frames[sym]
    asset.parts["training"].append(
        asset.head + _cost_table(res, sym, inputs.summary.get("networks on")) + _search_table(res, sym)
    )
    hist = {k: v for k, v in res.histories.items() if k[0] == sym}
    att = {k: v for k, v in res.attention.items() if k[0] == sym}
    labels = {f.id: str(frame.index[f.test.start].year) for f in res.folds.get(sym, [])}
    asset.parts["training"].append(
        asset.head
        + _figure(
            asset.figs.training_curves(hist, labels),
            "Training curves of the networks, every fold (by the year it forecasts): validation solid, training dashed",
        )
    )
    if att:
        asset.parts["training"].append(
            _figure(
                asset.figs.attention_by_lag(att, colors=_colors(inputs)),
                "Attention weight by lag, averaged over folds, against uniform weights (the dotted line)",
            )
        )


def _strategy_table_html(inputs: ReportInputs, sym: str) -> str:
    """One asset's strategy table with what it assumes and the days it is scored on."""
    scored = inputs.strategy_tables.get(sym)
    if scored is None:
        return ""
    table = scored.table
    note = f'<p class="note">{html.escape(inputs.strategy_note)}</p>' if inputs.strategy_note else ""
    window = ""
    if scored.window is not None:
        window = (
            f'<p class="note">Every strategy and buy and hold are scored on the same {scored.window.span()}: '
            "the days on which every strategy holds a position. sharpe_vs_bh is the Sharpe ratio minus buy and "
            f"hold's on those days, sharpe_vs_bh_se its circular-block-bootstrap standard error."
            f"{_blank_se(scored.window)}</p>"
        )
    return note + window + _table(table, floatfmt="{:.3f}", main=STRATEGY_TABLE.main_of(table.columns))


def _blank_se(window: Window) -> str:
    """A sentence saying why the window's standard errors are blank ("" when they are not)."""
    reason = blank_se_reason(window.days)
    return f" {html.escape(reason[0].upper() + reason[1:])}." if reason else ""


def _strategy_section(asset: _Asset, inputs: ReportInputs, best: Any, base: Any) -> None:
    """One asset's variance strategies: the table, equity and drawdown, weights and turnover,
    realised against target volatility of the ``best`` and ``base`` models, their tear sheets.
    """
    sym = asset.sym
    strat = inputs.strategies.get(sym, {})
    if not strat:
        return
    table = _strategy_table_html(inputs, sym)
    if table:
        asset.parts["strategies"].append(asset.head + table)
    if best is None:
        best = next(iter(strat))[0]
    chosen = {f"{m}/{s}": r for (m, s), r in strat.items() if m in (best, base)}
    bench = next(iter(strat.values())).benchmark
    asset.parts["strategies"].append(
        _chart(
            asset.charts.equity_charts(
                {k: r.returns for k, r in chosen.items()},
                bench,
                benchmark_name="buy and hold",
                group=sym,
                colors=_colors(inputs),
            ),
            f"Equity and drawdown against buy and hold ({best} and {base}), on the table's days",
        )
    )
    asset.parts["strategies"].append(
        _figure(
            asset.figs.weights_and_turnover(
                {k: r.weights for k, r in chosen.items()},
                {k: r.turnover for k, r in chosen.items()},
                colors=_colors(inputs),
            ),
            "Weights held (monthly mean) and monthly turnover",
        )
    )
    vt = strat.get((best, "vol_target"))
    if vt is not None and vt.target_vol:
        asset.parts["strategies"].append(
            _figure(
                asset.figs.realized_vs_target_vol(vt.returns, vt.target_vol),
                f"Realised against target volatility, {best} vol-targeting",
            )
        )
    if asset.sheets:
        for (m, s), r in strat.items():
            if m != best:
                continue
            doc = cached_tearsheet_html(r.returns, r.benchmark, title=f"{sym}: {m} {s}", cache_dir=inputs.cache_dir)
            asset.parts["tearsheets"].append(
                f'<h3>{html.escape(f"{sym}: {m} / {s}")}</h3><iframe class="tearsheet" sandbox="" '
                f'title="{html.escape(m)} {html.escape(s)} tear sheet" srcdoc="{_srcdoc(doc)}"></iframe>'
            )


def _page(inputs: ReportInputs, parts: dict[str, list[str]]) -> str:
    """The sections in one page, with navigation, styles and the charts' script where needed."""
    nav = "".join(f'<a href="#{s}">{_TITLES[s]}</a>' for s in SECTIONS)
    body = "".join(f'<section id="{s}"><h2>{_TITLES[s]}</h2>{"".join(parts[s])}</section>' for s in SECTIONS)
    sub = html.escape(inputs.summary.get("data", ""))
    script = f"<script>{interactive.SCRIPT}</script>" if 'class="ichart"' in body else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, '
        f'initial-scale=1"><title>{html.escape(inputs.title)}</title><style>{_CSS}{interactive.CSS}</style>{script}'
        f"</head><body><header><h1>{html.escape(inputs.title)}</h1><p>{sub}</p></header><nav>{nav}</nav>"
        f"<main>{body}</main></body></html>"
    )


def write_report(inputs: ReportInputs, path: str | Path) -> Path:
    """Render and write atomically (:func:`core.atomic.write_bytes_atomic`: a
    temporary file, flushed, renamed when whole; removed if anything fails), so a
    reader never sees half a report.
    """
    from core.atomic import write_bytes_atomic

    return write_bytes_atomic(Path(path), render(inputs).encode("utf-8"))
