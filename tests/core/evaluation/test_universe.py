"""The universe leaderboard against hand computations and the per-asset DM test."""

import numpy as np
import pandas as pd
import pytest

from core.evaluation.universe import UNIVERSE_COLUMNS, panel_diebold_mariano, universe_leaderboard
from reports.metrics import diebold_mariano, newey_west_variance


def losses(seed=0, n_assets=4, days=400):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2015-01-01", periods=days)
    out = {}
    for i in range(n_assets):
        base = rng.gamma(2.0, 0.5, size=days)
        out[f"A{i}"] = pd.DataFrame(
            {
                "base": base,
                "good": base * 0.8 + rng.normal(0, 0.05, days),  # clearly lower losses
                "same": base + rng.normal(0, 0.5, days),  # no better on average
            },
            index=idx,
        )
    return out


def test_summary_counts_ranks_and_ratios_by_hand():
    ls = losses()
    board = universe_leaderboard(ls, "base")
    summary, ratios = board
    assert (board.baseline, board.size, board.excluded) == ("base", 0.05, {})
    assert list(summary.columns) == list(UNIVERSE_COLUMNS)
    for sym, frame in ls.items():
        assert ratios.loc["good", sym] == pytest.approx(frame["good"].mean() / frame["base"].mean())
        assert board.pvalues.loc["good", sym] == pytest.approx(
            diebold_mariano(frame["good"], frame["base"])["dm_pvalue"]
        )
    good = summary.loc["good"]
    assert good["beats"] == 4 and good["beats_dm"] == 4 and good["loses_dm"] == 0
    assert good["mean_rank"] == 1.0 and summary.index[0] == "good"
    assert good["mean_ratio"] == pytest.approx(ratios.loc["good"].mean())
    assert summary.loc["base", "mean_ratio"] == 1.0 and np.isnan(summary.loc["base", "beats"])
    assert summary.loc["same", "beats_dm"] <= 1


def test_panel_dm_is_dm_on_the_cross_sectional_mean_difference():
    ls = losses(seed=1)
    d = pd.concat({s: f["same"] - f["base"] for s, f in ls.items()}, axis=1)
    dbar = d.mean(axis=1).to_numpy()
    by_hand = dbar.mean() / np.sqrt(newey_west_variance(dbar) / len(dbar))
    assert panel_diebold_mariano(d)["dm_stat"] == pytest.approx(by_hand)
    summary, _ = universe_leaderboard(ls, "base")
    assert summary.loc["same", "panel_dm_stat"] == pytest.approx(by_hand)
    # one asset: the panel test is the asset's own DM test
    one = {"A0": ls["A0"]}
    s1, _ = universe_leaderboard(one, "base")
    assert s1.loc["good", "panel_dm_pvalue"] == pytest.approx(
        diebold_mariano(ls["A0"]["good"], ls["A0"]["base"])["dm_pvalue"]
    )


def test_unbalanced_panels_pair_dates_per_asset():
    ls = losses(seed=2)
    ls["A1"].iloc[:100, ls["A1"].columns.get_loc("good")] = np.nan
    _, ratios = universe_leaderboard(ls, "base")
    f = ls["A1"].iloc[100:]
    assert ratios.loc["good", "A1"] == pytest.approx(f["good"].mean() / f["base"].mean())


def test_a_missing_baseline_is_named():
    ls = losses()
    ls["A2"] = ls["A2"].drop(columns="base")
    with pytest.raises(ValueError, match="baseline 'base' has no losses for A2"):
        universe_leaderboard(ls, "base")
