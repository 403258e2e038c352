"""The main job: the stages in order, the run folder written, and a finished run re-rendered.

:func:`run_job` is ``tradecast run``: :mod:`engine.stages` (data, features, the
walk-forward), :mod:`engine.scoring` (leaderboards, strategies, portfolio, risk),
then the outputs, the terminal's tables (:mod:`engine.terminal`) and the report.
:func:`render_run` is ``tradecast report``. The stages are re-exported here for
scripts that import them from this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import ConfigError
from core.tables import Window
from engine import scoring
from engine.config import RunConfig
from engine.scores import SCORES_FILE, load_scores, save_scores
from engine.scoring import (
    Outcome,
    baselines,
    leaderboards,
    outcome_of,
    risk_tables,
    trade,
    trade_forecasts,
    trade_portfolio,
    trade_returns,
    universe_boards,
)
from engine.stages import (
    Prepared,
    check_columns,
    check_strategy_days,
    describe,
    forecast,
    git_commit,
    own_schedules,
    package_versions,
    plan_of,
    prepare,
    run_summary,
)
from engine.terminal import (
    audit_line,
    describe_strategies,
    echo_tables,
    loss_table,
    portfolio_window_line,
    risk_methods,
    universe_line,
    window_line,
)
from engine.walkforward import Plan, WalkForwardResult

__all__ = [
    "Outcome",
    "Prepared",
    "baselines",
    "check_columns",
    "describe",
    "describe_strategies",
    "forecast",
    "leaderboards",
    "loss_table",
    "portfolio_window_line",
    "prepare",
    "render_run",
    "report",
    "risk_tables",
    "run_job",
    "run_summary",
    "trade",
    "trade_forecasts",
    "trade_portfolio",
    "trade_returns",
    "universe_boards",
    "window_line",
]


def report(
    prepared: Prepared,
    result: WalkForwardResult,
    backtests: dict,
    tables: dict,
    path,
    *,
    tearsheets: bool = True,
    leaderboards=None,
):
    """Write the HTML report of a run to ``path`` (``leaderboards`` as from :func:`leaderboards`, if at hand)."""
    outcome = outcome_of(prepared.config, result, leaderboards or {}, tables, backtests)
    return _write_report(prepared.config, result, outcome, path, run_summary(prepared), tearsheets=tearsheets)


def _write_report(
    config: RunConfig,
    result: WalkForwardResult,
    outcome: Outcome,
    path,
    summary: dict,
    *,
    tearsheets: bool,
    detail: list[str] | None = None,
):
    from reports.html import ReportInputs, write_report

    vix = None
    if config.data.vix:
        first = next(iter(result.frames.values()))
        vix = first["vix"] if "vix" in first.columns else None
    st = config.strategy
    inputs = ReportInputs(
        title=f"tradecast: {config.name}",
        summary=summary,
        result=result,
        baselines=outcome.baselines,
        vix=vix,
        strategies=outcome.backtests,
        strategy_tables=outcome.tables,
        strategy_note=describe_strategies(st),
        tearsheets=tearsheets,
        leaderboards=outcome.boards,
        threshold_tables=outcome.threshold_tables,
        threshold_strategies=outcome.threshold_backtests,
        universe=outcome.universe,
        universe_note=universe_line(next(iter(outcome.universe.values()))) if outcome.universe else "",
        portfolio_table=outcome.portfolio.scored(),
        portfolio=outcome.portfolio.backtests,
        portfolio_weights=outcome.portfolio.weights,
        portfolio_note=(
            f"{st.portfolio.describe()}. Scored: {portfolio_window_line(outcome.portfolio.window)}."
            if outcome.portfolio.window is not None
            else ""
        ),
        detail=detail,
        risk={sym: table for sym, (table, _) in outcome.risk.items()},
        risk_tails={sym: tails for sym, (_, tails) in outcome.risk.items()},
        risk_note=risk_methods(config) if outcome.risk else "",
        cache_dir=Path(path).parent / "tearsheets",
        threshold_note=st.threshold.describe()
        + f"; {st.fees_bps:g} bp costs"
        + (f", {st.slippage_bps:g} bp slippage" if st.slippage_bps else ""),
    )
    return write_report(inputs, path)


def _write_outputs(run_dir: Path, outcome: Outcome) -> None:
    """metrics.json, weights.parquet and returns.parquet, each written atomically."""
    from core.atomic import write_parquet_atomic
    from engine import store

    store.write_json(run_dir / "metrics.json", _metrics(outcome))
    weights, rets = _series(outcome)
    if weights:
        write_parquet_atomic(pd.DataFrame(weights), run_dir / "weights.parquet")
        write_parquet_atomic(pd.DataFrame(rets), run_dir / "returns.parquet")


def _window(window: Window | None) -> list[str] | None:
    return None if window is None else [str(window.first.date()), str(window.last.date())]


def _metrics(outcome: Outcome) -> dict[str, Any]:
    """metrics.json: every table of the outcome as rows of plain values, with the scored windows."""
    ptable = outcome.portfolio.table
    return {
        "risk": [
            {"symbol": sym, "model": m, "method": meth, "level": lv, **r}
            for sym, (scored, _) in outcome.risk.items()
            for (m, meth, lv), r in scored.table.to_dict(orient="index").items()
        ],
        "universe_leaderboard": [
            {"horizon": h, "model": m, **r}
            for h, board in outcome.universe.items()
            for m, r in board.summary.to_dict(orient="index").items()
        ],
        "portfolio": [{"model": m, "scheme": sch, **r} for (m, sch), r in ptable.to_dict(orient="index").items()]
        if ptable is not None
        else [],
        "portfolio_window": _window(outcome.portfolio.window),
        "leaderboard": [
            {"symbol": sym, "model": m, **r}
            for sym, b in outcome.boards.items()
            for m, r in b.to_dict(orient="index").items()
        ],
        "strategies": [
            {"symbol": sym, "model": m, "strategy": s, **r}
            for sym, tab in outcome.tables.items()
            for (m, s), r in tab.table.to_dict(orient="index").items()
        ],
        "strategy_windows": {sym: _window(t.window) for sym, t in outcome.tables.items()},
        "threshold_strategies": [
            {"symbol": sym, "model": m, "strategy": "threshold", **r}
            for sym, tab in outcome.threshold_tables.items()
            for m, r in tab.table.to_dict(orient="index").items()
        ],
        "threshold_windows": {sym: _window(t.window) for sym, t in outcome.threshold_tables.items()},
    }


def _series(outcome: Outcome) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Every strategy's weights and daily returns (and each benchmark's), by ``symbol/model/strategy``."""
    backtests, pbacktests = outcome.backtests, outcome.portfolio.backtests
    weights = {f"{sym}/{m}/{s}": r.weights for sym, bt in backtests.items() for (m, s), r in bt.items()}
    rets = {f"{sym}/{m}/{s}": r.returns for sym, bt in backtests.items() for (m, s), r in bt.items()}
    rets.update({f"{sym}/buy_and_hold": next(iter(bt.values())).benchmark for sym, bt in backtests.items() if bt})
    for sym, bt in outcome.threshold_backtests.items():
        weights.update({f"{sym}/{m}/threshold": r.weights for m, r in bt.items()})
        rets.update({f"{sym}/{m}/threshold": r.returns for m, r in bt.items()})
        if bt:
            rets[f"{sym}/buy_and_hold/threshold"] = next(iter(bt.values())).benchmark
    for (m, sch), r in pbacktests.items():
        weights.update({f"portfolio/{m}/{sch}/{sym}": r.weights[sym] for sym in r.weights.columns})
        rets[f"portfolio/{m}/{sch}"] = r.returns
    if pbacktests:
        rets["portfolio/equal_weight"] = next(iter(pbacktests.values())).benchmark
    return weights, rets


def run_job(config: RunConfig, run_dir, *, tearsheets: bool = True, progress: bool | None = None, echo=print):
    """The whole job into a run folder (see :mod:`engine.store`); returns the report path.

    Safe to interrupt: finished folds stay in ``run_dir/folds`` and calling this
    again with the same folder (``tradecast run --resume``) fits only the rest.
    Any other error marks the run ``failed`` in its manifest, with the message.
    One run writes a folder at a time: a second one into it is refused while the
    first runs (:func:`core.locks.hold`), and the manifest records the process and
    host, so that a killed run is listed as killed, not running.
    """
    from core.locks import hold

    run_dir = Path(run_dir)
    with hold(run_dir) as me:
        return _run_job(config, run_dir, me, tearsheets=tearsheets, progress=progress, echo=echo)


def _run_job(config: RunConfig, run_dir: Path, me: dict, *, tearsheets: bool, progress: bool | None, echo):
    """:func:`run_job` holding the folder: the manifest says running, then what ended the run."""
    import time

    from engine import store

    _start_manifest(config, run_dir, me)
    timings: dict[str, float] = {}
    try:
        path = _stages(config, run_dir, timings, tearsheets=tearsheets, progress=progress, echo=echo)
    except KeyboardInterrupt:
        store.write_manifest(run_dir, status="interrupted", timings=timings)
        raise
    except BaseException as exc:
        store.write_manifest(
            run_dir,
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
            failed=time.strftime("%Y-%m-%dT%H:%M:%S"),
            timings=timings,
        )
        raise
    store.write_manifest(run_dir, status="complete", finished=time.strftime("%Y-%m-%dT%H:%M:%S"), timings=timings)
    return path


def _start_manifest(config: RunConfig, run_dir: Path, me: dict) -> None:
    """The run's config.toml, and a manifest that says it runs (a resumed run keeps its start)."""
    import time

    from core.atomic import write_bytes_atomic
    from engine import __version__, store
    from engine.config import to_dict

    previous = _previous_manifest(run_dir)
    write_bytes_atomic(run_dir / "config.toml", store.to_toml(to_dict(config)).encode("utf-8"))
    seeds = {f.name: dict(f.params).get("seed", 0) for f in config.forecasters if "seed" in f.build().get_params()}
    store.write_manifest(
        run_dir,
        name=config.name,
        status="running",
        started=previous.get("started", time.strftime("%Y-%m-%dT%H:%M:%S")),
        tradecast=__version__,
        git=git_commit(),
        packages=package_versions(),
        models=[f.name for f in config.forecasters],
        seeds=seeds,
        error=None,
        pid=me["pid"],
        host=me["host"],
    )


def _walkforward_line(config: RunConfig, plan: Plan, run_dir: Path) -> str:
    """What the walk-forward is about to do, read from its plan: models, folds, schedule, and
    fits in all.
    """
    wf = config.walkforward
    n_folds = sum(len(folds) for folds in plan.folds.values())
    n_fits = sum(len(folds) for folds in plan.model_folds.values())
    return (
        f"\nwalk-forward: {len(config.forecasters)} models x {n_folds} folds, {wf.describe()}, "
        f"{wf.refits} refits, n_jobs={wf.n_jobs}; finished folds go to {run_dir / 'folds'}"
        + own_schedules(config)
        + (f" ({n_fits} fits in all)" if n_fits != n_folds * len(config.forecasters) else "")
    )


def _stages(
    config: RunConfig, run_dir: Path, timings: dict[str, float], *, tearsheets: bool, progress: bool | None, echo
) -> Path:
    """The stages in order, each timed into ``timings``: data and features, the walk-forward,
    scoring, the outputs and the report; the manifest updated after each.
    """
    import time

    from engine import store
    from engine.results import save_results

    t = time.perf_counter()
    prepared = prepare(config)
    timings["data_and_features"] = time.perf_counter() - t
    summary = run_summary(prepared)
    store.write_manifest(run_dir, data=summary["data"], data_hash=summary["data hash"])
    echo(describe(prepared))
    t = time.perf_counter()
    plan = plan_of(prepared, run_dir=run_dir)
    check_strategy_days(config, plan)
    echo(_walkforward_line(config, plan, run_dir))
    result = forecast(prepared, run_dir=run_dir, progress=progress, plan=plan)
    timings["walk_forward"] = time.perf_counter() - t
    save_results(run_dir, prepared.features, result)
    if result.warnings:
        summary["warnings"] = " | ".join(result.warnings)
    if config.walkforward.audit:
        summary["causality audit"] = audit_line(result)
        echo(f"\ncausality audit: {summary['causality audit']}")
    store.write_manifest(run_dir, summary=summary)

    t = time.perf_counter()
    jobs = config.walkforward.n_jobs
    if len(result.symbols) > scoring.SCORING_CHUNK:  # a minute or more: say what runs
        where = f" in parts of {scoring.SCORING_CHUNK} on {jobs} processes" if jobs > 1 else ""
        echo(f"\nscoring {len(result.symbols)} assets{where}, and their portfolios")
    outcome = scoring.score_and_trade(config, result)
    timings["metrics_and_strategies"] = time.perf_counter() - t
    summary["wall time"] = (
        ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in timings.items())
        + " (this report's own rendering not counted)"
    )
    store.write_manifest(run_dir, summary=summary)
    _write_outputs(run_dir, outcome)
    save_scores(run_dir, outcome)
    echo_tables(config, result, outcome, echo)
    t = time.perf_counter()
    path = _write_report(config, result, outcome, run_dir / "report.html", summary, tearsheets=tearsheets)
    timings["report"] = time.perf_counter() - t
    return path


def _previous_manifest(run_dir: Path) -> dict:
    """A resumed run's manifest (its start is kept); a damaged one is refused, not a traceback."""
    from engine import store

    path = run_dir / "manifest.json"
    if not path.exists():
        return {}
    try:
        found = store.read_json(path)
    except (ValueError, OSError) as exc:
        raise ConfigError(
            f"{path} is not readable JSON ({exc}): the run folder is damaged. Hint: delete manifest.json to resume "
            "anyway (finished folds are kept), or run into a new folder."
        ) from None
    if not isinstance(found, dict):
        raise ConfigError(f"{path} does not hold a JSON object. Hint: delete it to resume anyway.")
    return found


def render_run(
    run_dir,
    *,
    tearsheets: bool = True,
    detail: list[str] | None = None,
    rescore: bool = False,
    echo=lambda *_: None,
) -> Path:
    """Re-render a finished run's report from its stored results alone.

    No data source is read, no model is fitted, and nothing in the run folder
    changes but ``report.html``, the kept scores (``scores.pickle``, when they had
    to be computed again) and a ``rendered`` entry in ``manifest.json`` (when, by
    which tradecast, from which files): the run's provenance (started, finished,
    timings, versions) stays as the run wrote it, whatever tradecast version
    renders it.

    The leaderboards, strategies and risk tables are the ones the run kept
    (:mod:`engine.scores`) while its results, config, tradecast and packages are
    unchanged, else they are scored again; ``rescore`` always scores again (and
    never unpickles the kept file: for run folders from elsewhere).

    ``detail`` names the assets of a universe drawn with figures and tear sheets
    (default: the first :data:`reports.html.MAX_DETAIL`).

    Raises
    ------
    engine.results.StoredResultsError
        The run did not finish or its stored results are missing or damaged.
    """
    import time

    from engine import store
    from engine.config import load_config
    from engine.results import load_results

    run_dir = Path(run_dir)
    manifest = store.read_json(run_dir / "manifest.json")
    config = load_config(run_dir / "config.toml")
    t = time.perf_counter()
    _, result = load_results(run_dir, config)
    outcome, kept = _scores_of(run_dir, config, result, rescore=rescore, since=t, echo=echo)
    echo("writing the report" + (" with tear sheets" if tearsheets else ""))
    rendered = _rendered_entry(kept)
    summary = {**(manifest.get("summary") or {}), "rendered": rendered.pop("sentence")}
    path = _write_report(
        config, result, outcome, run_dir / "report.html", summary, tearsheets=tearsheets, detail=detail
    )
    rendered["seconds"] = round(time.perf_counter() - t, 2)
    store.write_manifest(run_dir, rendered=rendered)
    return path


def _rendered_entry(kept: bool) -> dict[str, Any]:
    """The manifest's ``rendered`` entry of a re-render (when, by which tradecast, from which files,
    whether the scores were kept), and under ``sentence`` the report summary's line saying so.
    """
    import time

    from engine import __version__
    from engine.results import RESULT_FILES

    at = time.strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "at": at,
        "tradecast": __version__,
        "from": list(RESULT_FILES),
        "fitted": "nothing",
        "scores": f"kept ({SCORES_FILE})" if kept else "scored again",
        "sentence": f"re-rendered {at} by tradecast {__version__} from the stored results "
        f"({', '.join(RESULT_FILES)}); nothing was refitted and no data source was read",
    }


def _scores_of(
    run_dir: Path, config: RunConfig, result: WalkForwardResult, *, rescore: bool, since: float, echo
) -> tuple[Outcome, bool]:
    """A finished run's scores: the kept ones while they match (not with ``rescore``), else
    scored again and kept; and whether they were the kept ones.
    """
    import time

    kept = None if rescore else load_scores(run_dir)
    echo(
        f"read the stored results of {len(result.models)} models on {len(result.symbols)} symbol(s) in "
        f"{time.perf_counter() - since:.1f} s; "
        + ("the run's kept scores match them" if kept is not None else "scoring and trading them")
    )
    if kept is not None:
        return kept, True
    outcome = scoring.score_and_trade(config, result)
    try:
        save_scores(run_dir, outcome)
    except OSError as exc:  # a cache: a read-only or full run folder still gets its report
        echo(f"the scores could not be kept for the next re-render ({exc}); the report is written anyway")
    echo(f"leaderboards and strategies in {time.perf_counter() - since:.1f} s")
    return outcome, False
