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


def test_the_universe_config_runs_with_portfolio_and_universe_leaderboard(run, capsys):
    metrics = json.loads((run / "metrics.json").read_text())
    universe = {r["model"]: r for r in metrics["universe_leaderboard"]}
    assert set(universe) == {"loghar", "ewma", "gru_pooled"}
    assert all(r["assets"] == 6 for r in universe.values())
    assert universe["loghar"]["mean_ratio"] == 1.0
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
    cols = [c for c in weights.columns if c.startswith("portfolio/loghar/equal_risk/")]
    assert len(cols) == 6
    assert weights[cols].dropna().sum(axis=1).to_numpy() == pytest.approx(1.0)
    returns = pd.read_parquet(run / "returns.parquet")
    assert "portfolio/equal_weight" in returns.columns


def test_a_large_universe_report_folds_assets_and_keeps_one_portfolio_tear_sheet(run):
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "Universe of 6 assets: variance, 1 day ahead" in text and "Portfolio of 6 assets" in text
    found = text[text.index("What this run found") : text.index("</ul>", text.index("What this run found"))]
    assert re.search(r"universe of 6 assets: best variance forecaster by mean rank \w+", found)
    assert re.search(r"best portfolio [\w/]+ on 2017-\d\d-\d\d to 2018-\d\d-\d\d: Sharpe", found)
    assert "portfolio vol target 10 %: realised" in found
    # six assets > MAX_DETAIL: each asset's tables folded; figures for the first four only
    assert text.count('<details class="asset"><summary>S05 (tables only') >= 1
    assert '<details class="asset"><summary>S01</summary>' in text
    assert text.count('<iframe class="tearsheet"') == 1  # the portfolio's; per-asset sheets only on request
    assert len(text.encode("utf-8")) < 10e6


def test_report_detail_draws_the_named_asset(run):
    assert main(["report", str(run), "--detail", "S06", "--no-tearsheets"]) == 0
    text = (run / "report.html").read_text(encoding="utf-8")
    assert '<details class="asset"><summary>S06</summary>' in text
    assert '<details class="asset"><summary>S01 (tables only' in text
    assert main(["report", str(run), "--detail", "NOPE"]) == 1
