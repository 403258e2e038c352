"""The main job, stage by stage: config -> bars -> features (-> walk-forward, later).

Each stage is a plain function so that scripts and notebooks can run the same
steps as ``tradecast run``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.config import RunConfig
from engine.data import by_symbol, load
from engine.summary import format_summary
from signals.features import feature_frame

__all__ = ["Prepared", "prepare", "describe"]


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
    bars = load(d.source, start=d.start, end=d.end, fill=d.fill, auto_adjust=d.auto_adjust, cache_dir=d.cache_dir, min_rows=windows)
    vix = load(d.vix, cache_dir=d.cache_dir) if d.vix else None
    features = {
        sym: feature_frame(b, target=f.target, overnight=f.overnight, har_lags=f.har_lags, volume_window=f.volume_window, vix=vix)
        for sym, b in by_symbol(bars).items()
    }
    return Prepared(config=config, bars=bars, features=features)


def describe(prepared: Prepared) -> str:
    """Text summary of the data and feature stage, for the terminal."""
    lines = [format_summary(prepared.bars), ""]
    for sym, frame in prepared.features.items():
        complete = frame.dropna(subset=[c for c in frame.columns if c != "vix"])
        lines.append(f"features for {sym} (target: {frame.attrs['target']})")
        lines.append(f"  columns         {', '.join(frame.columns)}")
        lines.append(f"  usable rows     {len(complete)} of {len(frame)} (the rest are warm-up rows)")
        if "vix" in frame.columns:
            lines.append(f"  vix coverage    {100 * frame.attrs['vix_coverage']:.1f} % of rows")
        desc = frame["rv"].describe()
        lines.append(
            f"  daily variance  mean {desc['mean']:.3g}, median {desc['50%']:.3g}, max {desc['max']:.3g} "
            f"(annualised vol of the mean {100 * (252 * desc['mean']) ** 0.5:.1f} %)"
        )
    return "\n".join(lines)
