"""The synthetic universe: reproducible, valid bars, correlated assets, a clear error."""

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.frameinfo import frame_info
from engine.data import by_symbol, load
from engine.simulate import simulated_universe


def test_the_same_seed_gives_the_same_bars_and_load_validates_them():
    a = simulated_universe(3, start="2015-01-01", end="2016-12-31")
    b = simulated_universe(3, start="2015-01-01", end="2016-12-31")
    for sym in a:
        pd.testing.assert_frame_equal(a[sym], b[sym])
    c = simulated_universe(3, start="2015-01-01", end="2016-12-31", seed=1)
    assert not np.allclose(a["S01"]["close"], c["S01"]["close"])
    bars = load("simulated:3", start="2015-01-01")  # load's own OHLC checks pass
    assert frame_info(bars).symbols == ("S01", "S02", "S03")
    frame = by_symbol(bars)["S02"]
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()


def test_assets_are_correlated_and_volatility_clusters():
    bars = simulated_universe(8)
    r = pd.DataFrame({s: np.log(f["close"]).diff() for s, f in bars.items()}).dropna()
    corr = r.corr().to_numpy()[np.triu_indices(8, 1)]
    # one market factor with loadings rho_i in [0.4, 0.8]: every pair positive, about 0.3 on average
    assert (corr > 0.05).all() and 0.2 < corr.mean() < 0.45
    vol = r.std() * np.sqrt(252)
    assert vol.between(0.10, 0.70).all()
    r2 = r["S01"] ** 2
    assert np.corrcoef(r2[1:], r2[:-1])[0, 1] > 0.05  # squared returns persist


@pytest.mark.parametrize("source", ["simulated:0", "simulated:x", "simulated:5001", "simulated:123456"])
def test_a_bad_asset_count_is_refused_with_a_hint(source):
    with pytest.raises(DataError, match=r"needs a number of assets from 1 to 5,000 .* Hint: simulated:20"):
        load(source)


def test_paths_drawn_in_blocks_of_days_are_the_draws_of_one_array(monkeypatch):
    """The intraday paths come in blocks of days (memory bound for thousands of assets): the
    bars are the same bits as when every day is drawn at once.
    """
    import engine.simulate as sim

    whole = simulated_universe(7, start="2015-01-01", end="2016-06-30", seed=4)
    monkeypatch.setattr(sim, "_BLOCK_VALUES", 7 * 26 * 13)  # 13 days a block, the last one shorter
    blocks = simulated_universe(7, start="2015-01-01", end="2016-06-30", seed=4)
    for sym, frame in whole.items():
        pd.testing.assert_frame_equal(blocks[sym], frame, check_exact=True)
