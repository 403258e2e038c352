"""Report figures: matplotlib, rendered to inline PNG data so that the report is one file.

Each function returns a ``data:image/png;base64,...`` string (or None when
there is nothing to draw). Volatility is annualised for display only.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: figures are files
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from signals.features import annual_vol

__all__ = [
    "PALETTE",
    "attention_by_lag",
    "color_of",
    "cumulative_loss_difference",
    "cumulative_sse_difference",
    "equity_and_drawdown",
    "forecast_vs_realized",
    "loss_by_fold",
    "mean_cumulative_loss_difference",
    "model_colors",
    "ratio_by_asset",
    "realized_vs_target_vol",
    "to_data_uri",
    "training_curves",
    "var_band",
    "weights_and_turnover",
    "year_ticks",
]

# text.parse_math off: a model named "a$b" is a label, not TeX that fails to parse
_STYLE: dict[Any, Any] = {
    "text.parse_math": False,
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def year_ticks(fig) -> None:
    """Date axes spanning two years or more get ticks on 1 January, labelled by the year
    (every k-th year, at most about ten ticks): matplotlib's automatic ticks would put
    "2008" at the left edge of a window that starts on 2008-12-30.
    """
    import matplotlib.dates as mdates

    for ax in fig.axes:
        formatter = ax.xaxis.get_major_formatter()
        if not isinstance(formatter, mdates.AutoDateFormatter | mdates.ConciseDateFormatter):
            continue
        lo, hi = ax.get_xlim()
        years = (hi - lo) / 365.25
        if years < 2:
            continue
        ax.xaxis.set_major_locator(mdates.YearLocator(max(1, int(np.ceil(years / 10)))))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def to_data_uri(fig) -> str:
    """PNG bytes of a figure as a data URI (date axes ticked at year starts, :func:`year_ticks`);
    the figure is closed.
    """
    year_ticks(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _ann(v):
    """Daily variance to annualised volatility in percent."""
    return 100 * annual_vol(v)


#: One colour per model across a report's figures and charts (tab10, then tab20's lighter tones).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip


def model_colors(names: Sequence[str]) -> dict[str, str]:
    """A colour for each model, in the run's order (cycling after 20): pass the same mapping
    to every figure so that a model keeps its colour across the report.
    """
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def color_of(colors: Mapping[str, str] | None, label: str) -> str | None:
    """A series' colour: its model's, found by the label or by the label's model part
    (``"gru/vol_target"`` is gru's); None lets matplotlib choose.
    """
    if not colors:
        return None
    return colors.get(label) or colors.get(str(label).split("/")[0])


def forecast_vs_realized(
    forecasts: pd.DataFrame, realized: pd.Series, models: list[str], colors: Mapping[str, str] | None = None
) -> str:
    """Forecast annualised volatility of ``models`` against the realised (22-day mean)."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.6))
        ax.plot(
            realized.index,
            _ann(realized.rolling(22, min_periods=5).mean()),
            color="black",
            lw=1.2,
            label="realised (22-day mean)",
        )
        for m in models:
            ax.plot(forecasts.index, _ann(forecasts[m]), lw=0.8, label=m, alpha=0.85, color=color_of(colors, m))
        ax.set_ylabel("annualised volatility, %")
        ax.legend(ncol=min(5, len(models) + 1), fontsize=8, loc="upper right")
        return to_data_uri(fig)


def cumulative_loss_difference(
    losses: pd.DataFrame, baseline: str, colors: Mapping[str, str] | None = None
) -> str | None:
    """Cumulative loss of each model minus the baseline's: falling lines beat it."""
    if baseline not in losses.columns or losses.shape[1] < 2:
        return None
    diff = losses.drop(columns=baseline).sub(losses[baseline], axis=0).fillna(0.0).cumsum()
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.2))
        for m in diff.columns:
            ax.plot(diff.index, diff[m], lw=1.0, label=m, color=color_of(colors, m))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(f"cumulative loss minus {baseline}")
        ax.legend(ncol=4, fontsize=8)
        return to_data_uri(fig)


def loss_by_fold(table: pd.DataFrame, colors: Mapping[str, str] | None = None) -> str:
    """Grouped bars: the loss of each model in each fold."""
    data = table.drop(columns="n", errors="ignore")
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.2))
        width = 0.8 / max(1, data.shape[1])
        x = np.arange(len(data))
        for i, m in enumerate(data.columns):
            ax.bar(x + i * width, data[m].to_numpy(), width, label=m, color=color_of(colors, m))
        ax.set_xticks(x + 0.4 - width / 2, [str(i) for i in data.index])
        if len(data) > 6:  # eleven dates side by side overlap: slanted, anchored at their bar
            plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
        ax.set_xlabel("fold")
        ax.set_ylabel("loss")
        ax.legend(ncol=4, fontsize=8)
        return to_data_uri(fig)


def training_curves(histories: dict, fold_labels: dict | None = None) -> str | None:
    """Train and validation loss per epoch, one panel per network, every fold: one
    colour per fold with a legend (``fold_labels``, e.g. the year each fold
    forecasts), validation solid and training dashed.
    """
    models = sorted({k[1] for k in histories})
    if not models:
        return None
    labels = fold_labels or {}
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(1, len(models), figsize=(max(5.0, 4.6 * len(models)), 3.4), squeeze=False)
        folds = sorted({k[2] for k in histories})
        # one colour per fold from a sequential map (early folds dark, late light): ten colours would repeat
        shade = {f: plt.get_cmap("viridis")(i / max(1, len(folds) - 1) * 0.9) for i, f in enumerate(folds)}
        for ax, m in zip(axes[0], models, strict=True):
            for (_, model, fold), h in sorted(histories.items()):
                if model != m:
                    continue
                ax.plot(h.index, h["val_loss"], lw=0.9, label=labels.get(fold, f"fold {fold}"), color=shade[fold])
                ax.plot(h.index, h["train_loss"], lw=0.6, ls="--", color=shade[fold])
            ax.set_title(m, fontsize=9)
            ax.set_xlabel("epoch")
            ax.legend(fontsize=6, ncol=2, title="fold", title_fontsize=6)
        axes[0][0].set_ylabel("loss (validation solid, training dashed)")
        fig.tight_layout()
        return to_data_uri(fig)


def attention_by_lag(attention: dict, colors: Mapping[str, str] | None = None) -> str | None:
    """Mean attention weight per lag (0 = the day before the forecast), per model,
    against uniform weights (a dotted line at 1 / lags), on an axis from 0: a
    near-uniform curve must look near-uniform.
    """
    if not attention:
        return None
    by_model: dict[str, list[pd.Series]] = {}
    for (_, model, _), w in attention.items():
        by_model.setdefault(model, []).append(w)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7, 3))
        n_lags = 1
        for m, ws in by_model.items():
            mean = pd.concat(ws, axis=1).mean(axis=1)
            n_lags = max(n_lags, len(mean))
            ax.plot(mean.index, mean.to_numpy(), marker="o", ms=3, label=m, color=color_of(colors, m))
        ax.axhline(1 / n_lags, color="gray", ls=":", lw=1.2, label=f"uniform (1/{n_lags})")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("lag (days before the origin)")
        ax.set_ylabel("attention weight")
        ax.legend(fontsize=8)
        return to_data_uri(fig)


def equity_and_drawdown(
    strategies: dict[str, pd.Series], benchmark: pd.Series, colors: Mapping[str, str] | None = None
) -> str:
    """Growth of one unit and drawdown, strategies against buy and hold."""
    with plt.rc_context(_STYLE):
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
        for name, r in {**strategies, "buy and hold": benchmark}.items():
            eq = (1 + r.fillna(0)).cumprod()
            style = (
                {"color": "black", "lw": 1.2}
                if name == "buy and hold"
                else {"lw": 1.0, "color": color_of(colors, name)}
            )
            a1.plot(eq.index, eq, label=name, **style)
            a2.plot(eq.index, 100 * (eq / eq.cummax() - 1), **style)
        a1.set_ylabel("growth of 1")
        a1.legend(fontsize=8)
        a2.set_ylabel("drawdown, %")
        return to_data_uri(fig)


def weights_and_turnover(
    weights: dict[str, pd.Series], turnover: dict[str, pd.Series], colors: Mapping[str, str] | None = None
) -> str:
    """Mean weight held each month (a 0/1 rule traded daily is a solid block when
    drawn day by day), and turnover summed by month.
    """
    with plt.rc_context(_STYLE):
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 4.6), sharex=True)
        for name, w in weights.items():
            monthly = w.resample("ME").mean()
            a1.step(monthly.index, monthly, where="post", lw=0.9, label=name, color=color_of(colors, name))
        a1.set_ylabel("weight, monthly mean")
        a1.legend(fontsize=8)
        for name, t in turnover.items():
            monthly = t.resample("ME").sum()
            a2.plot(monthly.index, monthly, lw=0.9, label=name, color=color_of(colors, name))
        a2.set_ylabel("turnover per month")
        a2.legend(fontsize=8)
        return to_data_uri(fig)


def realized_vs_target_vol(returns: pd.Series, target: float) -> str:
    """Rolling 63-day realised volatility of a vol-targeting strategy against its target."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 2.8))
        ax.plot(returns.index, _ann(returns.rolling(63).var()), lw=1.0, label="realised, 63 days")
        ax.axhline(100 * target, color="black", ls="--", lw=1.0, label=f"target {100 * target:g} %")
        ax.set_ylabel("annualised volatility, %")
        ax.legend(fontsize=8)
        return to_data_uri(fig)


def cumulative_sse_difference(
    forecasts: pd.DataFrame, realized: pd.Series, benchmark: pd.Series, colors: Mapping[str, str] | None = None
) -> str | None:
    """Goyal and Welch's (2008) chart: the running sum of the benchmark's squared
    error minus each model's, on the days every series is known. A rising line is
    a model beating the benchmark (the historical mean), a falling one losing to it.
    """
    rows = pd.concat([forecasts, realized.rename("__y"), benchmark.rename("__b")], axis=1).dropna()
    if rows.empty:
        return None
    y, b = rows.pop("__y"), rows.pop("__b")
    diff = rows.rsub(y, axis=0).pow(2).rsub((y - b) ** 2, axis=0).cumsum()
    reach = diff.abs().max()
    typical = float(reach.median()) if len(reach) > 2 else np.inf
    # a model whose line goes 5 times further than the median one would squash the rest into a flat line:
    # the axis is scaled to the others, and the outlier is named as off scale
    off = [m for m in diff.columns if reach[m] > 5 * typical] if np.isfinite(typical) and typical > 0 else []
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.2))
        for m in diff.columns:
            label = f"{m} (off scale: {diff[m].iloc[-1]:.3g} at the end)" if m in off else m
            ax.plot(diff.index, diff[m], lw=1.0, label=label, color=color_of(colors, m))
        if off:
            inside = diff.drop(columns=off)
            lo, hi = float(inside.min().min()), float(inside.max().max())
            pad = 0.15 * max(hi - lo, 1e-12)
            ax.set_ylim(min(lo, 0.0) - pad, max(hi, 0.0) + pad)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("cumulative SSE(mean) - SSE(model)")
        ax.legend(ncol=4, fontsize=8)
        return to_data_uri(fig)


def var_band(returns: pd.Series, var: pd.Series, es: pd.Series, label: str) -> str:
    """Daily returns against minus the VaR and minus the ES, violations marked (in percent)."""
    r, v, e = (s.reindex(var.index) for s in (returns, var, es))
    hit = r < -v
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.6))
        ax.plot(r.index, 100 * r, color="0.55", lw=0.5, label="daily log return")
        ax.plot(v.index, -100 * v, color="tab:blue", lw=1.0, label=f"minus the VaR ({label})")
        ax.plot(e.index, -100 * e, color="tab:purple", lw=0.8, ls="--", label="minus the ES")
        ax.scatter(r.index[hit], 100 * r[hit], color="tab:red", s=10, zorder=3, label=f"violations ({int(hit.sum())})")
        ax.set_ylabel("% per day")
        ax.legend(fontsize=8, loc="lower left", ncol=4)
        return to_data_uri(fig)


def ratio_by_asset(ratios: pd.DataFrame, best: str, baseline: str, colors: Mapping[str, str] | None = None) -> str:
    """Each asset's loss ratio to the baseline, sorted: ``best`` as bars, the other models as dots.

    ``ratios`` is models x assets (:func:`core.evaluation.universe.universe_leaderboard`); below the line
    at 1 a model beats the baseline on that asset.
    """
    order = ratios.loc[best].sort_values().index
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.4))
        x = np.arange(len(order))
        ax.bar(x, ratios.loc[best, order].to_numpy() - 1.0, bottom=1.0, color=color_of(colors, best), label=best)
        for m in ratios.index:
            if m not in (best, baseline):
                ax.scatter(x, ratios.loc[m, order], s=9, zorder=3, label=m, color=color_of(colors, m))
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xticks(x, [str(a) for a in order], rotation=90 if len(order) > 30 else 45, fontsize=7)
        ax.set_ylabel(f"loss ratio to {baseline}")
        ax.legend(fontsize=8, ncol=5)
        return to_data_uri(fig)


def mean_cumulative_loss_difference(diff: pd.DataFrame, baseline: str, colors: Mapping[str, str] | None = None) -> str:
    """The cross-asset mean of each model's daily loss minus the baseline's, cumulated: a
    falling line beats the baseline on the universe as a whole (the panel DM test's series).
    """
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 3.2))
        for m in diff.columns:
            ax.plot(diff.index, diff[m].fillna(0.0).cumsum(), lw=1.0, label=m, color=color_of(colors, m))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(f"cumulative mean loss minus {baseline}")
        ax.legend(ncol=4, fontsize=8)
        return to_data_uri(fig)
