"""The HTML report: built from a small real run, checked as text and in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from engine.config import from_dict
from engine.job import forecast, prepare, report, trade
from reports.html import SECTIONS
from tests.reports.browser import browser_page

SMALL = {
    "name": "small",
    "walkforward": {"start": "2015-01-01"},
    "strategy": {"regime_lookback": 60},
    "forecasters": [
        {"name": "loghar", "type": "har", "log": True},
        {"name": "ewma", "type": "ewma"},
        {"name": "gru", "type": "rnn", "cell": "gru", "hidden": [8], "epochs": 3, "seq_len": 10, "attention": True},
    ],
}


@pytest.fixture(scope="module")
def report_path(tmp_path_factory) -> Path:
    prepared = prepare(from_dict(SMALL))
    result = forecast(prepared, progress=False)
    tables, backtests = trade(prepared, result)
    return report(prepared, result, backtests, tables, tmp_path_factory.mktemp("run") / "report.html")


@pytest.mark.slow
def test_report_is_one_self_contained_file(report_path):
    text = report_path.read_text(encoding="utf-8")
    for s in SECTIONS:
        assert f'<section id="{s}">' in text
    # nothing fetched from elsewhere: no remote src/href, images inline
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert text.count('<img src="data:image/png;base64,') >= 6
    assert text.count('<iframe class="tearsheet"') == 2  # vol target and regime of the best model
    assert "embedded:sp500" in text and "data hash" in text and "in_mcs" in text
    assert os.stat(report_path).st_mode & 0o044, "readable by others: reports are for sharing"


def test_strategies_and_tear_sheets_share_one_window(report_path):
    import html as html_lib

    import pandas as pd

    text = report_path.read_text(encoding="utf-8")
    found = re.search(r"scored on the same (\d+) days, (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", text)
    assert found, "the strategy table says on which days it was scored"
    first, last = found.group(2), found.group(3)
    assert first > "2015-03-01", "the regime rule's 60 forecasts open the window for every strategy"
    assert "sharpe_vs_bh_se" in text
    # each tear sheet (quantstats) covers exactly the table's window, its benchmark too
    docs = [html_lib.unescape(d) for d in re.findall(r'srcdoc="([^"]*)"', text)]
    assert len(docs) == 2
    for doc in docs:
        span = re.search(r"<dt>(\d+ \w+, \d{4}) - (\d+ \w+, \d{4}) \(matched dates\)</dt>", doc)
        assert span and [str(pd.Timestamp(d).date()) for d in span.groups()] == [first, last]
    # folds are named by their first forecast day, not numbered
    assert "fold (first test day)" in text and "2015-01-02" in text


def test_report_in_a_real_browser(report_path, tmp_path):
    with browser_page(viewport={"width": 1300, "height": 900}) as (page, errors):
        page.goto(report_path.resolve().as_uri(), wait_until="load")
        for s in SECTIONS:
            assert page.locator(f"section#{s}").count() == 1, s
            assert page.locator(f"section#{s} h2").inner_text()
        sizes = page.eval_on_selector_all(
            "img",
            "els => els.map(e => [e.naturalWidth, e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
        )
        assert sizes and all(n > 0 and w > 0 and h > 0 for n, w, h in sizes), sizes
        # no table shown at once is wider than its card (the full tables are folded in <details>)
        overflow = page.eval_on_selector_all(
            "section table",
            "els => els.filter(e => !e.closest('details')).map(e => [e.scrollWidth, e.closest('section').clientWidth])",
        )
        assert overflow and all(w <= card for w, card in overflow), overflow
        assert page.locator("section#summary .headline li").count() >= 2, "the report opens with what the run found"
        frames = page.eval_on_selector_all("iframe.tearsheet", "els => els.map(e => e.getBoundingClientRect().height)")
        assert len(frames) == 2 and all(h > 100 for h in frames)
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    assert errors == [], errors
    out = os.environ.get("TRADECAST_ARTIFACTS")
    if out:
        shutil.copy(shot, Path(out) / "report.png")


HOSTILE_MODEL = '<script>document.title="pwned"</script>$x$'
HOSTILE_SYMBOL = "<img src=x onerror=document.title='pwned'>"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> Path:
    """A report whose symbol, model and run names are markup: built through the API,
    which (unlike a config) does not refuse such names.
    """
    from engine.scoring import trade_forecasts
    from engine.splits import WalkForward
    from engine.walkforward import walk_forward
    from reports.html import ReportInputs, write_report
    from signals.har import HarForecaster
    from signals.naive import EwmaForecaster
    from strategies.spec import StrategySpec
    from tests.signals.frames import sp500

    frame = sp500()
    result = walk_forward(
        {HOSTILE_SYMBOL: frame},
        {HOSTILE_MODEL: EwmaForecaster(), "loghar": HarForecaster(log=True)},
        WalkForward(start="2009-01-01"),
    )
    tables, backtests = trade_forecasts(StrategySpec(regime_lookback=60), result)
    inputs = ReportInputs(
        title=f"tradecast: {HOSTILE_MODEL}",
        summary={"data": HOSTILE_SYMBOL, "models": HOSTILE_MODEL},
        result=result,
        strategies=backtests,
        strategy_tables=tables,
        tearsheets=True,
    )
    return write_report(inputs, tmp_path_factory.mktemp("hostile") / "report.html")


def test_hostile_names_are_escaped_everywhere(hostile_report):
    text = hostile_report.read_text(encoding="utf-8")
    assert "<script>document.title" not in text and "<img src=x" not in text
    frames = re.findall(r"<iframe [^>]*>", text)
    assert frames and all('sandbox=""' in f for f in frames), "tear sheets run no script"


def test_hostile_names_render_as_text_in_a_browser(hostile_report):
    with browser_page() as (page, errors):
        page.goto(hostile_report.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        assert page.title() == f"tradecast: {HOSTILE_MODEL}", "no script rewrote the title"
        body = page.inner_text("body")
        assert HOSTILE_MODEL in body and HOSTILE_SYMBOL in body, "the names show as the text they are"
        assert page.locator("img[src='x']").count() == 0
        assert len(page.frames) == 3, "the page and its two tear sheets"
        for frame in page.frames[1:]:
            assert (
                frame.title() != "pwned"
                and frame.locator("img[src='x']").count() == 0
                and frame.locator("script").count() == 0
            )
            assert HOSTILE_SYMBOL in frame.locator("h1").inner_text(), "the tear sheet's title shows the name as text"
    assert errors == [], errors


def test_tearsheet_is_quiet_and_offline(caplog, capfd):
    import numpy as np
    import pandas as pd

    from reports.tearsheet import tearsheet_html

    idx = pd.bdate_range("2015-01-01", periods=300)
    rng = np.random.default_rng(0)
    doc = tearsheet_html(
        pd.Series(rng.normal(0, 0.01, 300), index=idx), pd.Series(rng.normal(0, 0.01, 300), index=idx), title="t"
    )
    assert "<html" in doc.lower() and 'onload="save()"' not in doc and "shortcut icon" not in doc
    assert "\ufe6a" not in doc and "Benchmark: buy and hold" in doc and "BUY AND HOLD" not in doc
    out = capfd.readouterr()
    assert "findfont" not in out.err + out.out
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_the_report_opens_with_what_the_run_found(report_path):
    text = report_path.read_text(encoding="utf-8")
    top = text[text.index('<section id="summary">') : text.index('<section id="leaderboard">')]
    assert top.index("What this run found") < top.index("<dl")
    assert re.search(
        r"best variance forecaster \w+: QLIKE [\d.]+(, [\d.]+ of loghar&#x27;s \(Diebold–Mariano p = [\d.e-]+, (not "
        r")?significant at 5 %\))?",
        top,
    )
    assert re.search(
        r"best strategy \w+/\w+ on \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: Sharpe [\d.-]+, [+-][\d.]+ ± [\d.]+ against "
        r"buy and hold",
        top,
    )
    assert re.search(r"Chosen after the fact as the best of \d+, so its gap flatters it", top), (
        "a selection is said to be one"
    )
    assert "The config, as TOML" in top


def test_the_report_says_what_each_model_cost(report_path):
    text = report_path.read_text(encoding="utf-8")
    training = text[text.index('<section id="training">') : text.index('<section id="strategies">')]
    assert "Cost per model" in training and "fit_seconds_per_fold" in training
    # the GRU(8) with attention: its parameter count is in the table, by hand from the layer sizes
    gru = 3 * (3 * 8 + 8 * 8 + 2 * 8)  # three gates, weights from the 3 inputs and the 8 states, two biases each
    attention = 8 * 8 + 8 + 8  # projection (weights, bias) and score (weights)
    head, skip = 8 + 1, 3 * 3  # output layer; the skip path over 1, 5 and seq_len-day means of 3 inputs
    assert re.search(rf"<th>gru</th>\s*<td>{gru + attention + head + skip}</td>", training)
    assert re.search(r"<th>loghar</th>\s*<td>4</td>", training) and re.search(r"<th>ewma</th>\s*<td>0</td>", training)


def test_the_headline_tests_the_best_network_against_the_strongest_econometric_model():
    from engine.splits import WalkForward
    from engine.walkforward import walk_forward
    from reports.html import ReportInputs, headline
    from reports.metrics import diebold_mariano, leaderboard, per_date_losses
    from signals.base import realized_target
    from signals.har import HarForecaster
    from signals.harx import HarxForecaster
    from signals.naive import EwmaForecaster
    from tests.signals.frames import sp500

    frame = sp500()
    models = {
        "net": HarxForecaster(),  # stands in for a network below
        "harx_level": HarxForecaster(log=False),
        "loghar": HarForecaster(log=True),
        "ewma": EwmaForecaster(),
    }
    res = walk_forward(frame, models, WalkForward(start="2009-01-01"))
    fc = res.for_symbol().drop(columns="fold")
    board = leaderboard(fc, frame, res.models, baseline="ewma")  # a weak baseline: log-HAR is the rival
    order = [m for m in board.index if m != "net"]
    res.models["net"].relative_cost = 1000.0  # a network's cost
    board = board.loc[["net", *order]]  # the "network" ranked first
    lines = headline(ReportInputs(title="t", summary={}, result=res, baselines={1: "ewma"}), {"SP500": board})
    rival = next(m for m in order if m != "ewma") if order[0] != "ewma" else None
    said = [line for line in lines if "strongest econometric model" in line]
    assert rival is not None, f"this data ranks {order}: the test wants a rival above the baseline"
    losses = per_date_losses(fc[["net", rival]], realized_target(frame, "variance", 1)).dropna()
    p = diebold_mariano(losses["net"], losses[rival])["dm_pvalue"]
    ratio = board.loc["net", "qlike"] / board.loc[rival, "qlike"]
    verdict = "significant at 5 %" if p < 0.05 else "not significant at 5 %"
    assert said == [
        f"against the strongest econometric model of the run, {rival} (same dates and horizon): {ratio:.3f} of its "
        f"QLIKE (Diebold–Mariano p = {p:.2g}, {verdict})."
    ]


def test_every_chart_of_the_report_draws_with_a_legend(report_path):
    """The zoomable charts: each draws one line per series and a legend entry per series."""
    import json

    text = report_path.read_text(encoding="utf-8")
    specs = [
        json.loads(s)
        for s in re.findall(r'<div class="ichart"[^>]*><script type="application/json">(.*?)</script>', text)
    ]
    assert len(specs) >= 3, "forecasts, equity and drawdown are zoomable"
    assert text.count("<script>") == 1, "the chart script is included once"
    with browser_page(viewport={"width": 1300, "height": 900}) as (page, errors):
        page.goto(report_path.resolve().as_uri(), wait_until="load")
        charts = page.locator(".ichart")
        assert charts.count() == len(specs)
        for i, spec in enumerate(specs):
            n = len(spec["series"])
            assert charts.nth(i).locator(".ichart-key").count() == n, spec["title"]
            assert charts.nth(i).locator("svg path").count() == n, spec["title"]
        widths = page.eval_on_selector_all(".ichart", "els => els.map(e => [e.scrollWidth, e.clientWidth])")
        assert all(sw <= cw for sw, cw in widths), "no chart overflows its card"
    assert errors == [], errors


def test_a_universe_headline_names_no_best_portfolio_when_all_lose_to_equal_weight():
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from core.tables import ScoredTable, Window
    from reports.html import ReportInputs, headline

    def table(gaps):
        idx = pd.MultiIndex.from_tuples(
            [("garch", "inverse_vol"), ("garch", "vol_target"), ("equal_weight", "-")], names=["model", "scheme"]
        )
        t = pd.DataFrame(
            {
                "sharpe": [0.5 + gaps[0], 0.5 + gaps[1], 0.5],
                "sharpe_vs_ew": [*gaps, 0.0],
                "sharpe_vs_ew_se": [0.045, 0.05, np.nan],
                "target_vol": [np.nan, 0.10, np.nan],
                "realised_vol": [0.12, 0.10, 0.15],
            },
            index=idx,
        )
        return ScoredTable(t, Window(pd.Timestamp("2015-01-02"), pd.Timestamp("2018-12-31"), 1006))

    res = SimpleNamespace(warnings=())
    losing = headline(ReportInputs(title="t", summary={}, result=res, portfolio_table=table([-0.112, -0.2])), {})
    assert any(line.startswith("no portfolio beats equal weight on 2015-01-02 to 2018-12-31") for line in losing)
    assert not any(line.startswith("best portfolio") for line in losing)
    winning = headline(ReportInputs(title="t", summary={}, result=res, portfolio_table=table([0.05, -0.2])), {})
    assert any(line.startswith("best portfolio garch/inverse_vol") for line in winning)


def test_the_headline_speaks_of_absolute_return_and_price_targets_against_their_benchmarks():
    # a run of absolute-return and price models only: the headline was empty ("Nothing in this run")
    from types import SimpleNamespace

    from engine.splits import WalkForward
    from engine.walkforward import walk_forward
    from reports.html import ReportInputs, headline
    from reports.metrics import leaderboard
    from signals.autoreg import ArForecaster
    from signals.naive import HistoricalMeanForecaster, RollingMeanForecaster
    from tests.signals.frames import sp500

    frame = sp500()
    models = {
        "ar_abs": ArForecaster(target="absolute_return", features=("abs_return",)),
        "mean_abs": HistoricalMeanForecaster(target="absolute_return"),
        "ar_price": ArForecaster(target="price"),
        "rolling_price": RollingMeanForecaster(target="price"),
    }
    res = walk_forward(frame, models, WalkForward(start="2009-01-01"), progress=False)
    board = leaderboard(res.for_symbol(), frame, res.models, mcs_reps=100)
    lines = headline(ReportInputs(title="t", summary={}, result=SimpleNamespace(warnings=())), {"SP500": board})
    text = " ".join(lines)
    assert "the historical mean absolute return out of sample at 5 %: best " in text
    assert "the random walk out of sample at 5 %: best " in text and "against always-up's" in text
    # always_up is the share of the real moves that were up, by hand
    prices = board[board["target"] == "price"]
    y = frame["close"].reindex(res.for_symbol().index)
    last = frame["close"].shift(1).reindex(y.index)
    moves = (y - last)[(y - last) != 0].dropna()
    assert prices["always_up"].iloc[0] == pytest.approx(float((moves > 0).mean()), rel=1e-12)
    # the report's price leaderboard shows it: the main columns listed it, the table's columns did not
    from reports.html import _leaderboard_section
    from reports.leaderboards import LEADERBOARDS

    parts: dict[str, list[str]] = {"returns": []}
    _leaderboard_section(parts, prices, "price", 1, "")
    assert "<th>always_up</th>" in parts["returns"][0] or ">always_up<" in parts["returns"][0]
    # each kind's main columns are all computed by the leaderboard
    for kind in ("price", "absolute_return"):
        computed = board[board["target"] == kind].dropna(axis=1, how="all").columns
        assert set(LEADERBOARDS[kind].main) <= set(computed), kind


def test_the_run_summary_names_every_target_kind():
    from engine.stages import targets_line

    cfg = from_dict(
        {
            "forecasters": [
                {"name": "loghar", "type": "har", "log": True},
                {"name": "har5", "type": "har", "horizon": 5},
                {"name": "absr", "type": "ar", "target": "absolute_return"},
                {"name": "px", "type": "ar", "target": "price"},
            ]
        }
    )
    assert targets_line(cfg) == (
        "the daily garman_klass realized variance (1, 5 days ahead); the absolute log return (1 day ahead); "
        "the close (1 day ahead)"
    )


def test_a_sharpe_gap_without_a_standard_error_gets_no_verdict():
    import numpy as np
    import pandas as pd

    from reports.html import _gap

    row = pd.Series({"sharpe": 0.5, "sharpe_vs_bh": 0.2, "sharpe_vs_bh_se": np.nan})
    assert _gap(row) == "Sharpe 0.500, +0.200 against buy and hold (no standard error, so no verdict)"
    row["sharpe_vs_bh_se"] = 0.05
    assert _gap(row) == "Sharpe 0.500, +0.200 ± 0.050 against buy and hold (more than two standard errors)"
    row["sharpe_vs_bh_se"] = 0.15
    assert _gap(row).endswith("(within two standard errors: noise)")
