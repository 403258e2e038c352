"""quantstats' HTML tear sheet of a strategy, quietly, as a string.

The benchmark is always passed as a return series (quantstats never downloads
anything), and the noise quantstats makes under pandas 3 and a font-poor
machine (deprecation warnings, "findfont: Font family 'Arial' not found") is
silenced here rather than shown to the user. Two flaws of quantstats 0.0.86's
template are mended so that the sheet works offline: its ``<body
onload="save()">`` calls a function the page never defines (a console error in
every browser), and its favicon is fetched from the web. The benchmark keeps
its name's case, and the CAGR row loses a glyph most fonts do not have.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd

from signals.features import TRADING_DAYS

__all__ = ["cached_tearsheet_html", "tearsheet_html"]


def tearsheet_html(
    returns: pd.Series, benchmark: pd.Series, *, title: str, benchmark_title: str = "buy and hold"
) -> str:
    """The quantstats HTML report for ``returns`` against ``benchmark``.

    Parameters
    ----------
    returns, benchmark : Series of daily simple returns, indexed by date
    benchmark_title : str, default "buy and hold"
        The benchmark's name in the sheet (quantstats upper-cases it; the case is restored).
    title : str
        Plain text: it is HTML-escaped here (quantstats pastes it into the page
        as it is), so a symbol or model name cannot inject markup or script.

    Returns
    -------
    str, a complete HTML document (figures inline as SVG).
    """
    import matplotlib

    matplotlib.use("Agg")
    import quantstats as qs
    from quantstats._plotting import core as qs_core

    font_logger = logging.getLogger("matplotlib.font_manager")
    level = font_logger.level
    font_logger.setLevel(logging.ERROR)
    try:
        with (
            warnings.catch_warnings(),
            tempfile.TemporaryDirectory() as tmp,
            mock.patch.object(qs_core, "plot_returns_bars", years_as_labels(qs_core.plot_returns_bars)),
        ):
            warnings.simplefilter("ignore")
            out = Path(tmp) / "tearsheet.html"
            r = returns.dropna().rename("Strategy")
            b = benchmark.reindex(r.index).fillna(0.0).rename("Benchmark")
            qs.reports.html(
                r,
                benchmark=b,
                output=str(out),
                title=html.escape(title),
                periods_per_year=TRADING_DAYS,
                benchmark_title=html.escape(benchmark_title),
            )
            doc = out.read_text(encoding="utf-8")
    finally:
        font_logger.setLevel(level)
    doc = doc.replace(' onload="save()"', "")
    # quantstats upper-cases the benchmark's name, and writes "CAGR﹪" with a
    # small percent sign (U+FE6A) that most fonts lack: it shows as a box
    doc = doc.replace(
        f"Benchmark: {html.escape(benchmark_title).upper()}", f"Benchmark: {html.escape(benchmark_title)}"
    ).replace("\ufe6a", "")
    return re.sub(r'<link[^>]+rel="shortcut icon"[^>]*>', "", doc)


def years_as_labels(plot_returns_bars: Callable[..., Any]) -> Callable[..., Any]:
    """Quantstats' yearly bar chart ("EOY Returns vs Benchmark"), fixed for pandas 3.

    quantstats draws the yearly returns with ``DataFrame.plot(kind="bar")`` on a
    year-end ``DatetimeIndex`` and then labels ticks 0..n-1; pandas 3 places those
    bars at the years' positions since 1970 (38..48 for 2008-2018), so the bars
    sat far right of their labels. Indexing the (already yearly) series by year
    labels puts each bar on its year.
    """

    def plot(returns: Any, benchmark: Any = None, *args: Any, resample: Any = "YE", **kwargs: Any) -> Any:
        if resample == "YE" and isinstance(returns.index, pd.DatetimeIndex):
            returns = returns.copy()
            returns.index = returns.index.year.astype(str)
            if benchmark is not None:
                benchmark = benchmark.copy()
                benchmark.index = benchmark.index.year.astype(str)
            resample = None
        return plot_returns_bars(returns, benchmark, *args, resample=resample, **kwargs)

    return plot


def cached_tearsheet_html(
    returns: pd.Series,
    benchmark: pd.Series,
    *,
    title: str,
    benchmark_title: str = "buy and hold",
    cache_dir: str | Path | None = None,
) -> str:
    """:func:`tearsheet_html`, kept in ``cache_dir`` by a digest of everything that shapes it.

    The digest covers both series (dates and values), the titles and the quantstats
    version, so a re-render of the same run (``tradecast report``) reads the sheets
    instead of drawing them again (quantstats takes most of a report's time), and any
    change in the returns draws a new one. Without ``cache_dir``, no cache.
    """
    if cache_dir is None:
        return tearsheet_html(returns, benchmark, title=title, benchmark_title=benchmark_title)
    import hashlib
    from importlib.metadata import version

    from core.atomic import write_bytes_atomic

    digest = hashlib.sha256()
    for s in (returns, benchmark):
        digest.update(s.index.asi8.tobytes() if isinstance(s.index, pd.DatetimeIndex) else str(list(s.index)).encode())
        digest.update(s.to_numpy(dtype=float).tobytes())
    digest.update(f"{title}\x00{benchmark_title}\x00{version('quantstats')}".encode())
    path = Path(cache_dir) / f"{digest.hexdigest()[:32]}.html"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    doc = tearsheet_html(returns, benchmark, title=title, benchmark_title=benchmark_title)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, doc.encode("utf-8"))
    return doc
