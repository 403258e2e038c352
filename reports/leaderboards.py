"""The leaderboards' layouts: per target kind, the columns, those shown at once, the
terminal's and their caption and note (one :class:`core.tables.TableSchema` each).

:func:`reports.metrics.leaderboard` computes the columns; the report
(:mod:`reports.html`) and the terminal (:mod:`engine.terminal`) show them from here.
"""

from __future__ import annotations

from core.tables import TableSchema

__all__ = ["LEADERBOARDS"]


def _board(
    columns: tuple[str, ...], main: tuple[str, ...], *, caption: str, note: str = "", mse: bool = True
) -> TableSchema:
    """A leaderboard of returns or prices: the terminal shows the horizon, n (and the MSE), the
    main columns and whether the model is in the model confidence set.
    """
    inner = tuple(c for c in main if c not in ("n", "mcs_pvalue"))
    terminal = ("horizon", "n", *(("mse",) if mse else ()), *inner, "in_mcs")
    return TableSchema(columns=columns, main=main, terminal=terminal, caption=caption, note=note)


#: The leaderboard of each target kind, in the terminal's order.
LEADERBOARDS = {
    "variance": TableSchema(
        columns=(
            "n",
            "qlike",
            "mse",
            "logmse",
            "mae",
            "r2",
            "direction",
            "mz_intercept",
            "mz_slope",
            "mz_r2",
            "dm_stat",
            "dm_pvalue",
            "mcs_pvalue",
            "spa_pvalue",
        ),
        main=("n", "qlike", "dm_pvalue", "mcs_pvalue", "direction", "mz_slope", "r2"),
        terminal=("target", "horizon", "n", "qlike", "mse", "level", "qlike_vs_*"),
        caption=("out-of-sample losses, each model against its own target and horizon (QLIKE; lower is better)"),
    ),
    "return": _board(
        (
            "n",
            "mse",
            "mae",
            "r2_vs_zero",
            "r2_vs_mean",
            "direction",
            "pt_stat",
            "pt_pvalue",
            "always_long",
            "dm_stat_vs_zero",
            "dm_pvalue_vs_zero",
            "mcs_pvalue",
        ),
        ("n", "r2_vs_zero", "r2_vs_mean", "direction", "pt_pvalue", "always_long", "dm_pvalue_vs_zero", "mcs_pvalue"),
        caption=(
            "return forecasts (r2_vs_zero, r2_vs_mean: out-of-sample R² against the zero forecast and the "
            "historical mean, positive = beats it; pt_pvalue: Pesaran-Timmermann test of the signs; always_long: "
            "the hit rate of always long)"
        ),
        note=(
            "r2_vs_zero and r2_vs_mean: out-of-sample R² = 1 − SSE / the benchmark's SSE on the same days, "
            "against the zero forecast and the expanding historical mean (Campbell and Thompson): positive only "
            "where the model beats it. direction: share of days with the sign of the return called; pt: "
            "Pesaran–Timmermann test that the signs are called better than chance (one-sided p); always_long: the "
            "hit rate of a forecast that is always positive, on the same days. dm_*_vs_zero: Diebold–Mariano "
            "against the zero forecast on squared errors (negative: lower loss)."
        ),
    ),
    "absolute_return": _board(
        ("n", "mse", "mae", "r2_vs_mean", "mz_slope", "dm_stat_vs_mean", "dm_pvalue_vs_mean", "mcs_pvalue"),
        ("n", "mae", "r2_vs_mean", "mz_slope", "dm_pvalue_vs_mean", "mcs_pvalue"),
        caption=(
            "absolute-return forecasts (r2_vs_mean: out-of-sample R² against the historical mean absolute return)"
        ),
        note=(
            "Absolute h-day log returns, a volatility measure in return units. r2_vs_mean: out-of-sample R² "
            "against the expanding historical mean absolute return (positive only where the model beats it). "
            "dm_*_vs_mean: Diebold–Mariano against that mean on squared errors. mz_slope: Mincer–Zarnowitz slope "
            "(1 = unbiased scale)."
        ),
    ),
    "price": _board(
        (
            "n",
            "rmse",
            "mae",
            "mape",
            "r2",
            "rw_rmse",
            "skill_vs_rw",
            "direction",
            "always_up",
            "dm_stat_vs_rw",
            "dm_pvalue_vs_rw",
            "mcs_pvalue",
        ),
        ("n", "rmse", "mape", "r2", "skill_vs_rw", "direction", "always_up", "dm_pvalue_vs_rw", "mcs_pvalue"),
        caption=(
            "price forecasts (a level R² near 1 is what the random walk also scores; skill_vs_rw: 1 - MSE / the "
            "random walk's, positive = beats it; direction: of the change from the last close, against always_up: "
            "the share of moves that were up, what always forecasting a rise scores)"
        ),
        note=(
            "A price-level R² near 1 says nothing: tomorrow's close is mostly today's, and the random walk "
            "(tomorrow = the last close) scores as much. skill_vs_rw = 1 − MSE / the random walk's MSE on the "
            "same days: positive only where the model beats it. direction: the sign of the forecast's change from "
            "the last close against the real change. mape in percent. dm_*_vs_rw: Diebold–Mariano against the "
            "random walk on squared errors."
        ),
        mse=False,
    ),
}
