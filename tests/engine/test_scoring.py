"""engine.scoring: a universe scored in parts on workers gives each asset the numbers it has
when the whole universe is scored in one process.
"""

from __future__ import annotations

import pandas as pd
import pytest

from engine import scoring
from engine.config import from_dict
from engine.stages import forecast, prepare


@pytest.fixture(scope="module")
def universe():
    config = from_dict(
        {
            "name": "parts",
            "data": {"source": "simulated:5", "start": "2012-01-01", "vix": ""},
            "walkforward": {"start": "2015-01-01", "n_jobs": 2},
            "strategy": {"portfolio": {"schemes": ["inverse_vol"]}},
            "risk": {"levels": [0.05], "methods": ["normal", "fhs"]},
            "forecasters": [{"name": "loghar", "type": "har", "log": True}, {"name": "ewma", "type": "ewma"}],
        }
    )
    return config, forecast(prepare(config), progress=False)


def test_select_keeps_the_named_symbols_in_their_order_with_every_model(universe):
    _, result = universe
    part = result.select(["S03", "S01"])
    assert part.symbols == ["S03", "S01"] and part.models == result.models
    for sym in ("S03", "S01"):
        pd.testing.assert_frame_equal(part.for_symbol(sym), result.for_symbol(sym))
        pd.testing.assert_frame_equal(part.fits.xs(sym, level="symbol"), result.fits.xs(sym, level="symbol"))
        assert part.folds[sym] == result.folds[sym]
    assert set(part.fits.index.get_level_values("symbol")) == {"S01", "S03"}
    with pytest.raises(Exception, match="'S9' is not in this result"):
        result.select(["S9"])


@pytest.mark.slow
def test_scoring_in_parts_on_two_workers_equals_one_process(universe, monkeypatch):
    config, result = universe
    monkeypatch.setattr(scoring, "SCORING_CHUNK", 2)  # 5 assets: three parts, two workers
    base = scoring.baselines(result)
    alone = scoring.per_symbol_scores(config, result, base, n_jobs=1)
    parts = scoring.per_symbol_scores(config, result, base, n_jobs=2)
    assert list(parts.boards) == list(parts.risk) == list(parts.tables) == result.symbols
    for sym in result.symbols:
        pd.testing.assert_frame_equal(parts.boards[sym], alone.boards[sym], check_exact=True)
        pd.testing.assert_frame_equal(parts.tables[sym].table, alone.tables[sym].table, check_exact=True)
        assert parts.tables[sym].window == alone.tables[sym].window
        pd.testing.assert_frame_equal(parts.risk[sym][0].table, alone.risk[sym][0].table, check_exact=True)
        for key, bt in alone.backtests[sym].items():
            pd.testing.assert_series_equal(parts.backtests[sym][key].returns, bt.returns, check_exact=True)
    # the whole outcome: the per-asset parts as above, the portfolio and the universe board as before
    outcome = scoring.score_and_trade(config, result)
    assert list(outcome.boards) == result.symbols
    pd.testing.assert_frame_equal(outcome.portfolio.table, scoring.trade_portfolio(config.strategy, result).table)


def test_a_short_out_of_sample_window_is_scored_not_a_traceback():
    """A year out of sample: the regime rule's year of lookback leaves the strategies a few
    common days, under the two bootstrap blocks a Sharpe gap's error needs. The run is
    scored (it used to end in a ValueError after the walk-forward), the gaps without errors.
    """
    config = from_dict(
        {
            "name": "short",
            "data": {"source": "simulated:3", "start": "2016-01-01", "vix": ""},
            "walkforward": {"start": "2018-01-01", "n_jobs": 1},
            "strategy": {"portfolio": {"schemes": ["inverse_vol"]}},
            "forecasters": [{"name": "ewma", "type": "ewma"}],
        }
    )
    result = forecast(prepare(config), progress=False)
    outcome = scoring.score_and_trade(config, result)
    for scored in outcome.tables.values():
        assert scored.window is not None and scored.window.days < 44
        assert scored.table["sharpe_vs_bh_se"].isna().all()
    assert outcome.portfolio.table is not None
