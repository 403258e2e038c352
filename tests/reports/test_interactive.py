"""Zoomable charts: the data they carry, escaping, and zoom, legend and linking in a browser."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from reports.interactive import CSS, SCRIPT, equity_charts, line_chart
from tests.reports.browser import browser_page


def _spec(fragment: str) -> dict:
    return json.loads(re.search(r'<script type="application/json">(.*?)</script>', fragment).group(1))


def test_the_chart_carries_dates_values_and_gaps():
    idx = pd.to_datetime(["1970-01-02", "2020-01-01", "2020-01-03"])
    frag = line_chart(
        {"a": pd.Series([1.23456789, np.nan, 3.0], index=idx), "b": pd.Series([0.5], index=idx[1:2])},
        title="t",
        y_label="y",
        fmt="pct",
        group="g",
    )
    spec = _spec(frag)
    assert spec["x"] == [1, 18262, 18264]  # days since 1970-01-01
    assert spec["series"][0]["y"] == [1.2346, None, 3.0]  # five significant digits, NaN as a gap
    assert spec["series"][1]["y"] == [None, 0.5, None]  # aligned on the union of dates
    assert spec["group"] == "g" and spec["fmt"] == "pct"


def test_names_cannot_break_out_of_the_data():
    name = "</script><img src=x onerror=alert(1)><!--"
    frag = line_chart({name: pd.Series([1.0], index=pd.to_datetime(["2020-01-01"]))}, title=name, y_label="y")
    assert "</script><img" not in frag and "<!--" not in frag
    assert _spec(frag)["series"][0]["name"] == name


def test_equity_charts_compound_returns_and_measure_drawdowns():
    idx = pd.bdate_range("2020-01-01", periods=4)
    frag = equity_charts(
        {"s": pd.Series([0.1, -0.5, 0.2, 0.0], index=idx)},
        pd.Series(0.0, index=idx),
        benchmark_name="bh",
        group="g",
    )
    growth, drawdown = (_spec(f"<div>{p}") for p in frag.split('<div class="ichart"')[1:])
    assert growth["series"][0]["y"] == pytest.approx([1.1, 0.55, 0.66, 0.66])
    assert drawdown["series"][0]["y"] == pytest.approx([0.0, -0.5, -0.4, -0.4])
    assert growth["log"] and growth["series"][1]["name"] == "bh"


def test_drag_zooms_the_group_and_double_click_resets(tmp_path):
    idx = pd.bdate_range("2010-01-01", "2019-12-31")
    rng = np.random.default_rng(0)
    r = pd.Series(rng.normal(0.0003, 0.01, len(idx)), index=idx)
    body = equity_charts({"strategy": r}, r * 0.5, benchmark_name="benchmark", group="g") + line_chart(
        {"other": r}, title="not linked", y_label="y"
    )
    head = f"<head><style>{CSS}</style><script>{SCRIPT}</script></head>"
    page_html = f"<html>{head}<body style='width:900px'>{body}</body></html>"
    path = tmp_path / "charts.html"
    path.write_text(page_html, encoding="utf-8")
    with browser_page(viewport={"width": 1000, "height": 900}) as (page, errors):
        page.goto(path.resolve().as_uri(), wait_until="load")
        charts = page.locator(".ichart")
        assert charts.count() == 3
        # every chart has a legend entry per series, and one path per visible series
        assert [charts.nth(i).locator(".ichart-key").count() for i in range(3)] == [2, 2, 1]
        assert charts.nth(0).locator("svg path").count() == 2

        def first_tick(i: int) -> str:
            ticks = charts.nth(i).locator("svg text").all_text_contents()
            return next(t for t in ticks if re.fullmatch(r"\d{4}(-\d\d)?", t))

        assert first_tick(0) == "2010" and first_tick(2) == "2010"
        box = charts.nth(0).locator("svg").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.55, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=5)
        page.mouse.up()
        zoomed = first_tick(0)
        assert zoomed > "2014", "the dragged chart shows the later dates only"
        assert first_tick(1) == zoomed, "its linked drawdown chart follows"
        assert first_tick(2) == "2010", "a chart of another group does not"
        # hovering shows the date and values; a legend click hides a series
        page.mouse.move(box["x"] + box["width"] * 0.5, y)
        assert re.search(r"\d{4}-\d\d-\d\d", charts.nth(0).locator(".ichart-tip").inner_text())
        charts.nth(0).locator(".ichart-key").nth(1).click()
        assert charts.nth(0).locator("svg path").count() == 1
        charts.nth(0).locator("svg").dblclick()
        assert first_tick(0) == "2010" and first_tick(1) == "2010"
    assert errors == [], errors


def test_ticks_sit_on_year_starts_and_a_log_axis_on_round_values(tmp_path):
    idx = pd.bdate_range("2008-12-30", "2018-12-31")  # the default job's strategy window
    rng = np.random.default_rng(1)
    r = pd.Series(rng.normal(0.0004, 0.01, len(idx)), index=idx)
    body = equity_charts({"strategy": r}, r * 0.5, benchmark_name="benchmark", group="g")
    head = f"<head><style>{CSS}</style><script>{SCRIPT}</script></head>"
    path = tmp_path / "ticks.html"
    path.write_text(f"<html>{head}<body style='width:900px'>{body}</body></html>", encoding="utf-8")
    with browser_page(viewport={"width": 1000, "height": 900}) as (page, errors):
        page.goto(path.resolve().as_uri(), wait_until="load")
        texts = page.locator(".ichart").nth(0).locator("svg text").all_text_contents()
    assert errors == [], errors
    years = [t for t in texts if re.fullmatch(r"\d{4}", t)]
    assert years and years[0] >= "2009", f"a window from 2008-12-30 is not labelled 2008: {years}"
    assert years == sorted(years) and len(set(years)) == len(years)
    values = [float(t[:-1]) for t in texts if re.fullmatch(r"\d+\.\d\dx", t)]
    assert len(values) >= 3
    # round values of growth, such as 1.00x, 1.50x, 2.00x: not powers of ten of round logarithms
    assert all(abs(v * 10 - round(v * 10)) < 1e-9 for v in values), values
