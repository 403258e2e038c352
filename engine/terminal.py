"""What the terminal (and the report's summary) says about a run: the leaderboard
columns shown, the windows the strategies and portfolios are scored on, the risk
and audit lines.
"""

from __future__ import annotations

import pandas as pd

from core.evaluation.performance import blank_se_reason
from core.evaluation.universe import UniverseBoard
from core.tables import Window
from engine.config import RunConfig, StrategyConfig
from engine.scoring import Outcome
from engine.walkforward import WalkForwardResult
from reports.leaderboards import LEADERBOARDS

__all__ = [
    "audit_line",
    "describe_strategies",
    "echo_tables",
    "loss_table",
    "portfolio_window_line",
    "risk_line",
    "risk_methods",
    "universe_line",
    "window_line",
]


#: The columns the terminal shows per target kind, and the line above each table.


def loss_table(boards: dict[str, pd.DataFrame], result: WalkForwardResult, kind: str = "variance") -> pd.DataFrame:
    """The terminal's summary of the leaderboards of one target kind: the columns that
    say whether a model beats its baseline (the run's strongest econometric model,
    zero and the historical mean, or the random walk) and its fit seconds (a pooled
    fit's time divided among the assets it served); empty when no model has that kind.
    """
    parts = {sym: b.loc[b["target"] == kind, LEADERBOARDS[kind].terminal_of(b.columns)] for sym, b in boards.items()}
    parts = {sym: b for sym, b in parts.items() if len(b)}
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, names=["symbol", "model"])
    table["fit_seconds"] = result.fits.groupby(["symbol", "model"])["fit_seconds"].sum().reindex(table.index).to_numpy()
    return table


def window_line(window: Window) -> str:
    """Where a strategy table was scored: its common window, for the terminal."""
    return (
        f"every strategy and buy and hold on the same {window.span()} (the days on which every strategy holds a "
        "position); sharpe_vs_bh: Sharpe minus buy and hold's, with its block-bootstrap standard error"
        + _blank_se(window)
    )


def universe_line(board: UniverseBoard) -> str:
    """What the universe leaderboard's columns mean, for the terminal and the report."""
    left_out = (
        "; left out, the baseline's level being off there (mean forecast over mean realised variance): "
        + ", ".join(f"{sym} ({v:.2g})" for sym, v in board.excluded.items())
        if board.excluded
        else ""
    )
    return (
        f"QLIKE over {board.baseline}'s per asset (the strongest econometric model of the run; "
        f"mean_ratio, median_ratio; below 1 is better); beats: assets with a ratio below 1; beats_dm / loses_dm: "
        f"significantly better / worse (Diebold-Mariano at {100 * board.size:g} %); mean_rank among the models by "
        f"QLIKE (1 = best); panel_dm: the Diebold-Mariano test on the cross-sectional mean loss difference{left_out}"
    )


def portfolio_window_line(window: Window) -> str:
    """Where the portfolio table was scored, for the terminal and the report."""
    return (
        f"every portfolio and the equal-weight one (rebalanced daily, no costs) on the same {window.span()}; "
        "sharpe_vs_ew: Sharpe minus equal weight's, with its block-bootstrap standard error; forecast_vol: ex-ante "
        "annual vol of the weights held; max_risk_share: the largest asset's ex-ante share of the variance, mean "
        "over days" + _blank_se(window)
    )


def _blank_se(window: Window) -> str:
    reason = blank_se_reason(window.days)
    return f"; {reason}" if reason else ""


def describe_strategies(st: StrategyConfig) -> str:
    """One line on how every forecaster is traded (``[strategy]``), for the terminal and the report."""
    return st.describe()


def risk_methods(config: RunConfig) -> str:
    """How the VaR and ES of a run are made."""
    names = {"normal": "normal", "t": "Student t", "fhs": "filtered historical simulation"}
    return (
        f"one-day VaR and ES from each variance forecast on the scale of the close-to-close returns "
        f"({', '.join(names[m] for m in config.risk.methods)} standardised returns, fitted on earlier days only, "
        f"after {config.risk.min_history} of them)"
    )


def risk_line(config: RunConfig, window: Window) -> str:
    """What the terminal's VaR table shows and on which days."""
    return (
        f"{risk_methods(config)}, {window.dates()} ({window.days} days, the same for every model): violations in "
        "percent of days, * where Christoffersen's conditional coverage or McNeil-Frey's expected-shortfall test "
        "rejects at 5 %"
    )


def echo_tables(config: RunConfig, result: WalkForwardResult, outcome: Outcome, echo) -> None:
    """The run's tables in the terminal: leaderboards (main columns), the strategies, the
    portfolio, the universe board and the risk backtests, each with its scored window.
    """
    from reports.html import MAX_DETAIL, flag_lines, spa_line

    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        for kind, schema in LEADERBOARDS.items():
            table = loss_table(outcome.boards, result, kind)
            if len(table):
                echo(f"\n{schema.caption}")
                echo(table.to_string())
            if kind == "variance":
                for sym, board in list(outcome.boards.items())[:MAX_DETAIL]:
                    group = board[(board["target"] == "variance") & (board["horizon"] == 1)]
                    line = spa_line(group, outcome.baselines.get(1))
                    if line:
                        echo((f"{sym}: " if len(outcome.boards) > 1 else "") + line)
                for line in flag_lines(outcome.boards):
                    echo(line)
    for h, board in outcome.universe.items():
        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
            echo(f"\nuniverse leaderboard, variance {h} day{'s' if h > 1 else ''} ahead: {universe_line(board)}")
            echo(board.summary.to_string())
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
                if strat.window is not None:
                    echo(f"scored: {window_line(strat.window)}")
                echo(strat.table.to_string())
    if outcome.risk and len(outcome.risk) <= MAX_DETAIL:
        from reports.tail_tests import violation_summary

        for sym, (scored, _) in outcome.risk.items():
            if scored.window is None:
                continue
            echo(f"\nValue-at-Risk on {sym}: {risk_line(config, scored.window)}")
            echo(violation_summary(scored.table).to_string())
    port = outcome.portfolio
    if port.table is not None and port.window is not None:
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
            echo(f"\nportfolio of {len(result.symbols)} assets: {st.portfolio.describe()}")
            echo(f"scored: {portfolio_window_line(port.window)}")
            echo(port.table.to_string())


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
