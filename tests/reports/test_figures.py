"""Report figures say no more than their data: checked on the matplotlib figure itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports import figures


@pytest.fixture
def drawn(monkeypatch):
    figs = []
    monkeypatch.setattr(figures, "to_data_uri", lambda fig: figs.append(fig) or "data:image/png;base64,")
    return figs


def test_attention_chart_shows_uniform_weights_as_uniform(drawn):
    lags = pd.RangeIndex(10, name="lag")
    near_uniform = {("SPX", "gru", k): pd.Series(0.1 + 0.002 * np.sin(np.arange(10) + k), index=lags) for k in range(3)}
    assert figures.attention_by_lag(near_uniform) is not None
    (ax,) = drawn[0].axes
    assert ax.get_ylim()[0] == 0.0, "an axis from 0: a 2 % wiggle must not fill the chart"
    uniform = [line for line in ax.get_lines() if np.allclose(line.get_ydata(), 0.1)]
    assert uniform and uniform[0].get_label() == "uniform (1/10)"


def test_training_curves_have_a_legend_of_folds(drawn):
    h = pd.DataFrame(
        {"train_loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.95]}, index=pd.RangeIndex(1, 4, name="epoch")
    )
    figures.training_curves(
        {("SPX", "gru", 0): h, ("SPX", "gru", 1): h * 0.9, ("SPX", "lstm", 0): h}, {0: "2008", 1: "2009"}
    )
    axes = drawn[0].axes
    assert [ax.get_title() for ax in axes] == ["gru", "lstm"], "short titles that do not overlap"
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["2008", "2009"]


def test_weights_are_drawn_as_monthly_means(drawn):
    days = pd.bdate_range("2020-01-01", periods=120)
    flip = pd.Series(np.tile([0.0, 1.0], 60), index=days)  # a 0/1 rule that trades every day
    figures.weights_and_turnover({"regime": flip}, {"regime": flip.diff().abs()})
    top = drawn[0].axes[0]
    (line,) = top.get_lines()
    assert len(line.get_ydata()) <= 7 and np.allclose(line.get_ydata(), 0.5, atol=0.05), (
        "a month of flips is half invested, not a smear"
    )
    assert all(ax.get_legend() is not None for ax in drawn[0].axes)


def test_every_figure_with_several_series_has_a_legend(drawn):
    days = pd.bdate_range("2019-01-01", periods=300)
    rng = np.random.default_rng(0)
    fc = pd.DataFrame({m: rng.uniform(1e-5, 2e-4, 300) for m in ("a", "b", "base")}, index=days)
    rv = pd.Series(rng.uniform(1e-5, 2e-4, 300), index=days)
    r = pd.Series(rng.normal(0, 0.01, 300), index=days)
    figures.forecast_vs_realized(fc, rv, ["a", "b"])
    figures.cumulative_loss_difference(fc, "base")
    figures.loss_by_fold(pd.DataFrame({"a": [0.3, 0.4], "b": [0.35, 0.38]}, index=["2019", "2020"]))
    figures.equity_and_drawdown({"a": r, "b": r * 0.5}, r)
    figures.realized_vs_target_vol(r, 0.10)
    figures.cumulative_sse_difference(fc[["a", "b"]], rv, fc["base"])
    assert len(drawn) == 6
    for fig in drawn:
        for ax in fig.axes:
            series = [x for x in ax.get_lines() + list(ax.containers) if not str(x.get_label()).startswith("_")]
            if len(series) > 1:
                assert ax.get_legend() is not None, (fig, ax.get_ylabel())
                assert len(ax.get_legend().get_texts()) == len(series)


def test_date_axes_are_ticked_at_year_starts(drawn):
    import matplotlib.dates as mdates

    days = pd.bdate_range("2008-12-30", "2018-12-31")  # the window of the default job's strategies
    rng = np.random.default_rng(0)
    r = pd.Series(rng.normal(0, 0.01, len(days)), index=days)
    var = pd.Series(0.02, index=days)
    figures.var_band(r, var, 1.2 * var, "loghar, fhs")
    fig = drawn[0]
    figures.year_ticks(fig)
    fig.canvas.draw()
    (ax,) = fig.axes
    lo, hi = ax.get_xlim()
    shown = [(t, lab.get_text()) for t, lab in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True) if lo <= t <= hi]
    ticks = [mdates.num2date(t) for t, _ in shown]
    labels = [lab for _, lab in shown]
    assert ticks and all((t.month, t.day) == (1, 1) for t in ticks), "ticks on 1 January"
    assert "2008" not in labels and labels[0] in ("2009", "2010") and all(lab.isdigit() for lab in labels)
    assert len(labels) <= 11
    # a window of months keeps matplotlib's own month ticks
    short = pd.bdate_range("2020-01-01", periods=120)
    figures.var_band(r.iloc[:120].set_axis(short), var.iloc[:120].set_axis(short), var.iloc[:120].set_axis(short), "x")
    figures.year_ticks(drawn[1])
    assert not isinstance(drawn[1].axes[0].xaxis.get_major_locator(), mdates.YearLocator)


def test_every_png_goes_through_the_year_ticks(monkeypatch):
    seen = []
    monkeypatch.setattr(figures, "year_ticks", lambda fig: seen.append(fig))
    days = pd.bdate_range("2010-01-01", periods=800)
    s = pd.Series(0.01, index=days)
    assert figures.var_band(s, s, s, "x").startswith("data:image/png;base64,")
    assert len(seen) == 1


def test_a_model_keeps_its_colour_in_every_figure_and_chart(drawn):
    import json
    import re

    from matplotlib.colors import to_hex

    from reports import interactive

    colors = figures.model_colors(["garch", "loghar", "gru", "lstm"])
    assert len(set(colors.values())) == 4
    days = pd.bdate_range("2012-01-02", periods=400)
    rng = np.random.default_rng(2)
    fc = pd.DataFrame({m: rng.uniform(1e-5, 2e-4, 400) for m in ("lstm", "gru", "loghar")}, index=days)
    figures.cumulative_loss_difference(fc, "loghar", colors=colors)  # gru drawn second here ...
    figures.loss_by_fold(pd.DataFrame({"gru": [0.3, 0.4], "lstm": [0.35, 0.5]}), colors=colors)  # ... first here
    figures.weights_and_turnover({"gru/vol_target": fc["gru"]}, {"gru/vol_target": fc["gru"]}, colors=colors)
    lines = {ln.get_label(): to_hex(ln.get_color()) for ln in drawn[0].axes[0].get_lines()}
    bars = {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in drawn[1].axes[0].containers}
    steps = {ln.get_label(): to_hex(ln.get_color()) for ln in drawn[2].axes[0].get_lines()}
    assert lines["gru"] == bars["gru"] == steps["gru/vol_target"] == colors["gru"]
    assert lines["lstm"] == bars["lstm"] == colors["lstm"]
    chart = interactive.forecast_chart(fc, fc["loghar"], ["lstm", "gru"], group="g", colors=colors)
    spec = json.loads(re.search(r'<script type="application/json">(.*?)</script>', chart).group(1))
    assert {s["name"]: s["color"] for s in spec["series"]}["gru"] == colors["gru"]


def test_training_curves_give_every_fold_its_own_colour(drawn):
    h = pd.DataFrame({"train_loss": [1.0, 0.9], "val_loss": [1.1, 1.0]}, index=pd.RangeIndex(1, 3, name="epoch"))
    figures.training_curves({("SPX", "gru", k): h * (1 + k / 100) for k in range(14)})
    solid = [ln for ln in drawn[0].axes[0].get_lines() if ln.get_linestyle() == "-"]
    assert len(solid) == 14 and len({to for to in (str(ln.get_color()) for ln in solid)}) == 14


def test_goyal_welch_chart_is_not_scaled_to_one_outlier(drawn):
    days = pd.bdate_range("2015-01-01", periods=500)
    rng = np.random.default_rng(3)
    y = pd.Series(rng.normal(0, 0.01, 500), index=days)
    mean = pd.Series(0.0, index=days)
    fc = pd.DataFrame({m: 0.001 * rng.normal(size=500) for m in ("ar", "gru", "lstm")}, index=days)
    fc["mlp"] = 0.05  # a far-off forecast: its line falls fifty times further than the others
    figures.cumulative_sse_difference(fc, y, mean)
    (ax,) = drawn[0].axes
    lines = {ln.get_label(): np.asarray(ln.get_ydata()) for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    others = np.concatenate([v for k, v in lines.items() if not k.startswith("mlp")])
    span = max(others.max(), 0) - min(others.min(), 0)
    lo, hi = ax.get_ylim()
    assert hi - lo <= 1.5 * span, "the axis fits the three ordinary models"
    (mlp,) = (v for k, v in lines.items() if k.startswith("mlp (off scale"))
    assert mlp.min() < lo, "the outlier leaves the axis, named as off scale"


def test_many_fold_labels_are_slanted_so_they_do_not_overlap(drawn):
    table = pd.DataFrame({"gru": np.linspace(0.3, 0.4, 11)}, index=[f"{y}-01-02" for y in range(2008, 2019)])
    figures.loss_by_fold(table)
    labels = drawn[0].axes[0].get_xticklabels()
    assert len(labels) == 11 and all(lab.get_rotation() == 30 for lab in labels)
