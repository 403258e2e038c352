"""configs/universe20.toml, shrunk: a universe run end to end with the portfolio and
the universe leaderboard, and a report that stays small by folding per-asset detail.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from engine import store
from engine.cli import main
from engine.store import to_toml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("universe")
    mapping = tomllib.loads((ROOT / "configs" / "universe20.toml").read_text())
    mapping["data"].update(source="simulated:6", start="2013-01-01")
    mapping["walkforward"].update(start="2017-01-01", n_jobs=1)
    mapping["forecasters"] = [f for f in mapping["forecasters"] if f["name"] != "garch"]
    for f in mapping["forecasters"]:
        if f["type"] == "rnn":
            f.update(hidden=[8], epochs=2, seq_len=10, max_steps=20)
    cfg = tmp / "universe.toml"
    cfg.write_text(to_toml(mapping))
    assert main(["run", str(cfg), "--run-dir", str(tmp / "run")]) == 0
    return tmp / "run"


@pytest.mark.slow
def test_the_universe_config_runs_with_portfolio_and_universe_leaderboard(run, capsys):
    metrics = json.loads((run / "metrics.json").read_text())
    universe = {r["model"]: r for r in metrics["universe_leaderboard"]}
    # the recipe: pooled networks, the daily log-HAR-X, and their equal-weight combination
    assert set(universe) == {"loghar", "logharx_daily", "ewma", "gru_pooled", "lstm_pooled", "ensemble"}
    assert all(r["assets"] == 6 for r in universe.values())
    # one baseline: the econometric model with the best mean rank, against which every ratio is taken
    (baseline,) = [m for m, r in universe.items() if r["beats"] is None]
    assert baseline in ("loghar", "logharx_daily") and universe[baseline]["mean_ratio"] == 1.0
    # best mean rank among the econometric models: no other one beats it on more than half the assets
    assert all(universe[m]["beats"] <= 3 for m in ("loghar", "logharx_daily", "ewma") if m != baseline)
    assert 0 <= universe["ewma"]["beats_dm"] <= universe["ewma"]["beats"] <= 6
    portfolio = {(r["model"], r["scheme"]): r for r in metrics["portfolio"]}
    assert set(portfolio) == {(m, s) for m in universe for s in ("inverse_vol", "equal_risk", "vol_target")} | {
        ("equal_weight", "-")
    }
    # the portfolio vol target aims the ex-ante vol at 10 %, unless the gross cap binds
    for m in universe:
        row = portfolio[(m, "vol_target")]
        assert row["target_vol"] == 0.10
        assert row["forecast_vol"] == pytest.approx(0.10, abs=1e-9) or row["mean_gross"] > 1.9
    weights = pd.read_parquet(run / "weights.parquet")
    cols = [c for c in weights.columns if c.startswith("portfolio/ensemble/equal_risk/")]
    assert len(cols) == 6
    assert weights[cols].dropna().sum(axis=1).to_numpy() == pytest.approx(1.0)
    returns = pd.read_parquet(run / "returns.parquet")
    assert "portfolio/equal_weight" in returns.columns


def test_a_large_universe_report_folds_assets_and_keeps_one_portfolio_tear_sheet(run):
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "Universe of 6 assets: variance, 1 day ahead" in text and "Portfolio of 6 assets" in text
    # cross-asset figures beside the universe leaderboard: ratios per asset, and the mean loss difference
    board = text[text.index("Universe of 6 assets") : text.index('<section id="regimes"')]
    assert "on each asset, sorted by" in board and "Cross-asset mean QLIKE minus" in board
    assert board.count('<img src="data:image/png;base64,') >= 2
    found = text[text.index("What this run found") : text.index("</ul>", text.index("What this run found"))]
    assert re.search(r"universe of 6 assets: best variance forecaster by mean rank \w+", found)
    # the best portfolio, or (when none does better) that none beats equal weight: never a loser called "best"
    assert re.search(r"best portfolio [\w/]+ on 2017-\d\d-\d\d to 2018-\d\d-\d\d: Sharpe", found) or re.search(
        r"no portfolio beats equal weight on 2017-\d\d-\d\d to 2018-\d\d-\d\d: all \d+ have a lower Sharpe", found
    )
    assert "portfolio vol target 10 %: realised" in found
    # six assets > MAX_DETAIL: each asset's tables folded; figures for the first four only
    assert text.count('<details class="asset"><summary>S05 (tables only') >= 1
    # the undrawn assets are grouped, one group per section, not one collapsed entry each beside the drawn ones
    assert "The other 2 assets: tables only" in text
    start = text.index('<details class="assets-rest">')
    group = text[start : text.index("</section>", start)]
    assert "S05 (tables only)" in group and "S06 (tables only)" in group
    assert "<summary>S01</summary>" not in group, "the drawn assets stay outside the group"
    assert '<details class="asset"><summary>S01</summary>' in text
    assert text.count('<iframe class="tearsheet"') == 1  # the portfolio's; per-asset sheets only on request
    assert len(text.encode("utf-8")) < 10e6


@pytest.mark.slow
def test_report_detail_draws_the_named_asset(run):
    assert main(["report", str(run), "--detail", "S06", "--no-tearsheets"]) == 0
    # a universe's scores (portfolio weights, universe boards, risk tables) are kept and read back whole
    assert store.read_json(run / "manifest.json")["rendered"]["scores"] == "kept (scores.pickle)"
    text = (run / "report.html").read_text(encoding="utf-8")
    assert '<details class="asset"><summary>S06</summary>' in text
    # added to the four drawn by default, not swapped for them; only the named asset gets a tear sheet
    assert '<details class="asset"><summary>S01</summary>' in text
    assert '<details class="asset"><summary>S05 (tables only' in text
    assert main(["report", str(run), "--detail", "NOPE"]) == 1


def test_a_broken_log_har_cannot_make_a_universe_result_significant():
    # Break log-HAR on one asset (forecasts 5.6 times too high, as a broken retransformation gave on a
    # real stock). Where it is the strongest econometric model of the run, it is the universe's
    # baseline: against it every model would win on that asset and the panel test would flip. The
    # asset is left out of the board, named, so the panel tests stay those of the sound assets.
    import dataclasses

    import numpy as np

    from engine.data import by_symbol, load
    from engine.scoring import baselines, universe_boards
    from engine.splits import WalkForward
    from engine.terminal import universe_line
    from engine.walkforward import walk_forward
    from signals.features import feature_frame
    from signals.har import HarForecaster
    from signals.naive import EwmaForecaster

    bars = load("simulated:6", start="2010-01-01")
    frames = {s: feature_frame(b) for s, b in by_symbol(bars).items()}
    models = {"loghar": HarForecaster(log=True), "har": HarForecaster(), "ewma": EwmaForecaster()}
    res = walk_forward(frames, models, WalkForward(start="2015-01-01"))
    assert baselines(res) == {1: "loghar"}
    first = res.symbols[0]
    broken = res.forecasts.copy()
    broken.loc[first, "loghar"] = broken.loc[first, "loghar"].to_numpy() * 5.6
    bad = dataclasses.replace(res, forecasts=broken)
    board = universe_boards(bad)[1]
    summary = board.summary
    assert board.baseline == "loghar" and list(board.excluded) == [first]
    assert board.excluded[first] > 4.0 and f"{first} (" in universe_line(board)
    # the board is the one of the five sound assets
    sound = dataclasses.replace(
        res, frames={s: f for s, f in res.frames.items() if s != first}, forecasts=res.forecasts.drop(index=first)
    )
    clean = universe_boards(sound)[1].summary
    cols = ["assets", "beats", "beats_dm", "loses_dm", "panel_dm_stat", "panel_dm_pvalue"]
    pd.testing.assert_frame_equal(summary[cols], clean[cols])
    assert summary.loc["ewma", "assets"] == 5
    # what the guard prevents: with the broken asset in, the panel test moves towards "ewma beats it"
    from core.evaluation.universe import universe_leaderboard
    from reports.metrics import per_date_losses
    from signals.base import realized_target

    every = {
        s: per_date_losses(bad.for_symbol(s)[list(models)], realized_target(bad.frames[s], "variance", 1))
        for s in bad.symbols
    }
    unguarded = universe_leaderboard(every, "loghar").summary
    assert unguarded.loc["ewma", "panel_dm_stat"] < clean.loc["ewma", "panel_dm_stat"] - 1.0
    assert np.isfinite(unguarded.loc["ewma", "panel_dm_stat"])
