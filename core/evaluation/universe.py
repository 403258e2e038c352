r"""A universe's leaderboard: how each model fares against the baseline across assets.

Per asset, a model's loss ratio is its mean loss over the baseline's on the
dates both forecast, with a Diebold-Mariano test on those dates. Across assets:
how many it beats (ratio below 1), how many significantly (DM at ``size``,
either way), its mean rank by mean loss among the models, and a panel
Diebold-Mariano test on the cross-sectional mean loss difference,

.. math:: \bar d_t = \frac{1}{n_t}\sum_{i=1}^{n_t} \left(L^{model}_{i,t} - L^{base}_{i,t}\right),
          \qquad DM = \frac{\bar{\bar d}}{\sqrt{\hat\Omega / T}},

with :math:`n_t` the assets both models forecast on date :math:`t` and
:math:`\hat\Omega` the Newey-West long-run variance of :math:`\bar d_t`
(Timmermann and Zhu, 2019, "Comparing forecasting performance with panel
data": the test of equal average accuracy across the panel, robust to any
cross-sectional correlation of the losses, since it averages them first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.evaluation.comparison import diebold_mariano

__all__ = ["UNIVERSE_COLUMNS", "UniverseBoard", "panel_diebold_mariano", "universe_leaderboard"]

#: Columns of :func:`universe_leaderboard`'s summary, in order.
UNIVERSE_COLUMNS = (
    "assets",
    "mean_ratio",
    "median_ratio",
    "beats",
    "beats_dm",
    "loses_dm",
    "mean_rank",
    "panel_dm_stat",
    "panel_dm_pvalue",
)


@dataclass(frozen=True)
class UniverseBoard:
    """What :func:`universe_leaderboard` gives, typed; it still unpacks as ``(summary, ratios)``.

    Attributes
    ----------
    summary : DataFrame, one row per model, columns :data:`UNIVERSE_COLUMNS`, sorted by mean rank
    ratios : DataFrame, models x assets, the loss ratio to the baseline
    pvalues : DataFrame, models x assets, the per-asset Diebold-Mariano p-values
    baseline : str, the model every ratio is taken against
    size : float, the DM test size of ``beats_dm`` and ``loses_dm``
    excluded : dict of symbol to float
        Assets left out of the board, with the baseline's level there (mean forecast over
        mean realised variance): against a baseline whose level is off, every model "wins".
    """

    summary: pd.DataFrame
    ratios: pd.DataFrame
    pvalues: pd.DataFrame
    baseline: str
    size: float = 0.05
    excluded: dict[str, float] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.summary, self.ratios))


def panel_diebold_mariano(diffs: pd.DataFrame, lags: int | None = None) -> dict[str, float]:
    """The Diebold-Mariano test on the cross-sectional mean of loss differences.

    Parameters
    ----------
    diffs : DataFrame (dates x assets), model loss minus baseline loss; NaN where an asset has no pair
    lags : int, optional, Newey-West lags (default as :func:`reports.metrics.newey_west_variance`)

    Returns
    -------
    ``dm_stat`` (negative: the model's losses are lower) and the two-sided ``dm_pvalue``.
    """
    mean = diffs.mean(axis=1, skipna=True).dropna().to_numpy(dtype=float)
    return diebold_mariano(mean, np.zeros_like(mean), lags)


def _per_asset(
    losses: Mapping[str, pd.DataFrame], baseline: str, models: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Models x assets: the loss ratio to the baseline, the DM p-value and statistic on the
    dates both forecast, and the model's rank by mean loss on the dates every model has.
    """
    ratio = pd.DataFrame(np.nan, index=models, columns=list(losses))
    pvalue, stat, ranks = ratio.copy(), ratio.copy(), ratio.copy()
    for sym, frame in losses.items():
        base = frame[baseline]
        for m in frame.columns:
            pair = pd.concat([frame[m], base], axis=1).dropna().to_numpy(dtype=float)
            if not len(pair):
                continue
            ratio.loc[m, sym] = pair[:, 0].mean() / pair[:, 1].mean()
            if m != baseline:
                dm = diebold_mariano(pair[:, 0], pair[:, 1])
                pvalue.loc[m, sym], stat.loc[m, sym] = dm["dm_pvalue"], dm["dm_stat"]
        ranks[sym] = frame.dropna().mean().rank().reindex(models)
    return ratio, pvalue, stat, ranks


def universe_leaderboard(losses: Mapping[str, pd.DataFrame], baseline: str, *, size: float = 0.05) -> UniverseBoard:
    """Loss ratios per asset, and the across-asset summary.

    Parameters
    ----------
    losses : dict of symbol to DataFrame (dates x models)
        Per-date losses of one comparable group (same target and horizon), as
        :func:`reports.metrics.per_date_losses` gives them.
    baseline : str, a model every asset has
    size : float, default 0.05, the DM test size for ``beats_dm`` and ``loses_dm``

    Returns
    -------
    UniverseBoard
        Unpacks as ``(summary, ratios)``. ``summary``: one row per model, columns
        :data:`UNIVERSE_COLUMNS`, sorted by mean rank; ``beats`` counts assets with
        a ratio below 1, ``beats_dm`` those where the model is also significantly
        better (DM p < ``size``), ``loses_dm`` those where it is significantly
        worse. ``ratios``: models x assets, the loss ratio to the baseline;
        ``pvalues`` the per-asset DM p-values, same shape.
    """
    if not losses:
        raise ValueError("universe_leaderboard: no asset's losses given.")
    missing = [s for s, frame in losses.items() if baseline not in frame.columns]
    if missing:
        raise ValueError(
            f"universe_leaderboard: baseline {baseline!r} has no losses for {', '.join(missing)}. "
            f"Hint: the baseline must be forecast on every asset."
        )
    models = list(dict.fromkeys(m for frame in losses.values() for m in frame.columns))
    ratio, pvalue, stat, ranks = _per_asset(losses, baseline, models)
    rows = {}
    for m in models:
        diffs = pd.concat({s: f[m] - f[baseline] for s, f in losses.items() if m in f.columns}, axis=1)
        panel = panel_diebold_mariano(diffs) if m != baseline else {"dm_stat": np.nan, "dm_pvalue": np.nan}
        r, p, z = ratio.loc[m], pvalue.loc[m], stat.loc[m]
        rows[m] = {
            "assets": int(r.notna().sum()),
            "mean_ratio": float(r.mean()),
            "median_ratio": float(r.median()),
            "beats": int((r < 1).sum()) if m != baseline else np.nan,
            "beats_dm": int(((p < size) & (z < 0)).sum()) if m != baseline else np.nan,
            "loses_dm": int(((p < size) & (z > 0)).sum()) if m != baseline else np.nan,
            "mean_rank": float(ranks.loc[m].mean()),
            "panel_dm_stat": panel["dm_stat"],
            "panel_dm_pvalue": panel["dm_pvalue"],
        }
    summary = pd.DataFrame.from_dict(rows, orient="index")[list(UNIVERSE_COLUMNS)].sort_values("mean_rank")
    return UniverseBoard(summary, ratio.loc[summary.index], pvalue.loc[summary.index], baseline, size)
