"""quantstats' yearly bar chart puts each year's bar on its label under pandas 3."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from reports.tearsheet import years_as_labels


def test_eoy_bars_sit_on_their_year_labels():
    from quantstats._plotting import core as qs_core
    from quantstats._plotting import wrappers

    days = pd.bdate_range("2008-01-01", "2018-12-31")
    rng = np.random.default_rng(0)
    returns = pd.Series(rng.normal(0.0003, 0.01, len(days)), index=days, name="Strategy")
    bench = pd.Series(rng.normal(0.0003, 0.01, len(days)), index=days, name="Benchmark")

    def bar_centres_and_labels(plot):
        original = qs_core.plot_returns_bars
        qs_core.plot_returns_bars = plot
        try:
            fig = wrappers.yearly_returns(returns, bench, show=False, subtitle=False, prepare_returns=False)
        finally:
            qs_core.plot_returns_bars = original
        ax = fig.axes[0]
        centres = sorted({round(p.get_x() + p.get_width() / 2) for p in ax.patches if p.get_height() != 0})
        ticks = {round(t): lab.get_text() for t, lab in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)}
        return centres, ticks

    centres, ticks = bar_centres_and_labels(years_as_labels(qs_core.plot_returns_bars))
    assert centres == list(range(11))
    assert [ticks[c] for c in centres] == [str(y) for y in range(2008, 2019)]
    broken, _ = bar_centres_and_labels(qs_core.plot_returns_bars)
    assert broken != centres, "quantstats draws these bars right if this fails: drop years_as_labels"


@pytest.mark.slow
def test_a_cached_tear_sheet_is_drawn_once_and_redrawn_when_the_returns_change(tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd

    from reports import tearsheet

    idx = pd.bdate_range("2015-01-01", periods=300)
    rng = np.random.default_rng(0)
    r, b = pd.Series(rng.normal(0, 0.01, 300), idx), pd.Series(rng.normal(0, 0.01, 300), idx)
    calls = []
    real = tearsheet.tearsheet_html
    monkeypatch.setattr(tearsheet, "tearsheet_html", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = tearsheet.cached_tearsheet_html(r, b, title="SPX: gru vol_target", cache_dir=tmp_path)
    again = tearsheet.cached_tearsheet_html(r, b, title="SPX: gru vol_target", cache_dir=tmp_path)
    assert again == first and len(calls) == 1 and len(list(tmp_path.glob("*.html"))) == 1
    changed = r.copy()
    changed.iloc[-1] += 0.001
    tearsheet.cached_tearsheet_html(changed, b, title="SPX: gru vol_target", cache_dir=tmp_path)
    tearsheet.cached_tearsheet_html(r, b, title="SPX: lstm vol_target", cache_dir=tmp_path)
    assert len(calls) == 3 and len(list(tmp_path.glob("*.html"))) == 3
