"""Zoomable line charts for the report, self-contained and small.

A chart is a ``<div class="ichart">`` holding its data as JSON; one short script
(``reports/ichart.js``, :data:`SCRIPT`, about 9 kB, included once per report) draws every chart as SVG
and makes it interactive: drag across a chart to zoom into those dates (every
chart of the same ``group`` follows), double-click to zoom out, hover to read
the date and each series' value, click a legend entry to hide or show a series.
The y axis fits the visible dates. Nothing is fetched: plotly.js would have
added 4.8 MB to every report, this adds the data and 6 kB.

Series are stored with 5 significant digits, dates as days since 1970-01-01.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["CSS", "SCRIPT", "equity_charts", "forecast_chart", "line_chart"]

Format = Literal["pct", "num", "x"]

#: Colours of series without a model colour, in order (matplotlib's tab10, as the static figures).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _days(index: pd.DatetimeIndex) -> list[int]:
    return (index.values.astype("datetime64[D]").astype(np.int64)).tolist()


def _values(s: pd.Series) -> list[float | None]:
    return [None if not np.isfinite(v) else float(f"{v:.5g}") for v in s.to_numpy(dtype=float)]


def line_chart(
    series: Mapping[str, pd.Series],
    *,
    title: str,
    y_label: str,
    fmt: Format = "num",
    group: str | None = None,
    log: bool = False,
    height: int = 300,
    colors: Mapping[str, str] | None = None,
) -> str:
    """One zoomable chart of date-indexed series, as an HTML fragment.

    Parameters
    ----------
    series : dict of name to Series indexed by date; aligned on the union of their dates
    title : str, plain text (escaped)
    y_label : str, plain text (escaped)
    fmt : {"num", "pct", "x"}, how values read on the axis and the tooltip ("pct": 0.1 -> 10 %)
    group : str, optional, charts of one group zoom together
    log : bool, a log y axis (positive values only)
    height : int, pixels
    colors : dict of name to CSS colour, optional; the others take :data:`PALETTE` in order

    Returns
    -------
    str, ``<div class="ichart">`` with the data; :data:`SCRIPT` draws it.
    """
    if not series:
        raise ValueError("line_chart: no series to draw.")
    frame = pd.concat(series, axis=1, sort=True)
    frame.index = pd.DatetimeIndex(frame.index)
    spec = {
        "title": title,
        "ylabel": y_label,
        "fmt": fmt,
        "log": bool(log),
        "group": group or "",
        "height": int(height),
        "x": _days(frame.index),
        "series": [
            {"name": str(name), "color": (colors or {}).get(name, PALETTE[i % len(PALETTE)]), "y": _values(frame[name])}
            for i, name in enumerate(frame.columns)
        ],
    }
    # "<" as \u003c: no name can close the script element or open a comment in it
    data = json.dumps(spec, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")
    return (
        f'<div class="ichart" role="figure" aria-label="{html.escape(title)}">'
        f'<script type="application/json">{data}</script></div>'
    )


def _colors_of(names, colors: Mapping[str, str] | None) -> dict[str, str]:
    """The report's colour of each named series (by its model, :func:`reports.figures.color_of`)."""
    from reports.figures import color_of

    return {n: c for n in names if (c := color_of(colors, n))}


def forecast_chart(
    forecasts: pd.DataFrame,
    realized: pd.Series,
    models: list[str],
    *,
    group: str,
    colors: Mapping[str, str] | None = None,
) -> str:
    """Forecast annual volatility of ``models`` against the realised one (22-day mean), zoomable."""
    from signals.features import annual_vol

    series = {"realised (22-day mean)": annual_vol(realized.rolling(22, min_periods=5).mean())}
    series.update({m: annual_vol(forecasts[m].astype(float)) for m in models})
    return line_chart(
        series,
        title="Forecast against realised volatility",
        y_label="annual vol",
        fmt="pct",
        group=group,
        colors={**_colors_of(models, colors), "realised (22-day mean)": "#111111"},
    )


def equity_charts(
    strategies: Mapping[str, pd.Series],
    benchmark: pd.Series,
    *,
    benchmark_name: str,
    group: str,
    colors: Mapping[str, str] | None = None,
) -> str:
    """Growth of one unit and drawdown of daily ``strategies`` returns against the benchmark, zoomed together
    (each strategy in its model's colour from ``colors``, the benchmark black).
    """
    equity = {name: (1 + r.fillna(0.0)).cumprod() for name, r in {**strategies, benchmark_name: benchmark}.items()}
    colors = {**_colors_of(strategies, colors), benchmark_name: "#111111"}
    growth = line_chart(
        equity, title="Growth of 1", y_label="growth of 1", fmt="x", group=group, log=True, colors=colors
    )
    drawdown = line_chart(
        {k: v / v.cummax() - 1 for k, v in equity.items()},
        title="Drawdown",
        y_label="drawdown",
        fmt="pct",
        group=group,
        height=180,
        colors=colors,
    )
    return growth + drawdown


#: Draws every ``.ichart`` of the page; included once in a report's ``<head>``.
SCRIPT = (Path(__file__).with_name("ichart.js")).read_text(encoding="utf-8")

#: Styles of the charts (added to the report's CSS).
CSS = """
.ichart { position: relative; margin: 14px 0 18px; border: 1px solid #e3e6eb; border-radius: 6px; padding: 8px 10px;
          background: #fff; user-select: none; }
.ichart-head { display: flex; justify-content: space-between; font-size: 13px; margin-bottom: 2px; }
.ichart-hint { color: #6b7480; font-size: 12px; }
.ichart-legend { font-size: 12px; margin: 2px 0 4px; }
.ichart-key { display: inline-block; margin-right: 14px; cursor: pointer; }
.ichart-key.off { opacity: 0.35; }
.ichart-key i, .ichart-tip i { display: inline-block; width: 14px; height: 3px; margin: 0 5px 3px 0;
                               vertical-align: middle; }
.ichart svg { display: block; cursor: crosshair; }
.ichart-grid { stroke: #eceef1; }
.ichart-frame { fill: none; stroke: #c9ced6; }
.ichart-tick { font-size: 11px; fill: #505a66; }
.ichart-band { fill: rgba(20, 33, 61, 0.12); }
.ichart-cross { stroke: #8a94a3; stroke-dasharray: 3 3; }
.ichart-tip { position: absolute; display: none; pointer-events: none; background: rgba(255, 255, 255, 0.96);
              border: 1px solid #c9ced6; border-radius: 4px; padding: 5px 8px; font-size: 12px; white-space: nowrap; }
"""
