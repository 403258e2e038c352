"""The walk-forward loop: fit each forecaster on each fold's past, forecast the fold.

>>> from engine.walkforward import walk_forward
>>> result = walk_forward(frame, {"har": HarForecaster(), "lstm": RnnForecaster()},
...                       WalkForward(start="2008-01-01", refit_every="year"))
>>> result.for_symbol().head()          # forecasts by target date, one column per model
>>> result.score()                      # out-of-sample QLIKE / MSE per model

It is three steps: :func:`plan_walk_forward` checks the arguments and plans the
tasks (folds, chains, warm starts, audit cuts) without fitting anything;
``_run`` runs them on an executor (:mod:`engine.executors`), reading finished
folds from the run folder (:mod:`engine.foldstore`); ``_assemble`` stitches the
folds into one :class:`WalkForwardResult`.

What it guarantees:

* a model is fitted on its fold's training rows only (scalers included: they
  live inside the forecaster), and its forecast for a date equals fitting a
  clone on those rows by hand and calling ``predict`` for that date;
* the output is identical whatever ``n_jobs`` and ``executor``;
* with ``run_dir``, every finished fold is written atomically, keyed by a hash
  of the forecaster's configuration, the data and the package version: a re-run
  (after a crash, a Ctrl-C or a kill) skips the folds already done;
* ``audit=True`` re-forecasts each fold from data cut at random dates inside it
  and fails, naming the model and date, if an earlier forecast moves.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import json
import os
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.atomic import row_hashes, rows_digest
from core.checks import UNSET, check_choice, check_int, renamed
from core.errors import ParameterError, TradecastError, TrainingError
from core.evaluation.losses import Loss, scoring_mask
from core.evaluation.losses import loss as loss_fn
from core.frameinfo import frame_info, set_info
from core.threads import configure_threads
from engine import __version__
from engine.executors import Executor, make_executor
from engine.foldstore import FoldResult, load_segment, save_segment, segment_path
from engine.splits import Fold, Refits, Schedule, WalkForward, segment_bounds
from signals.audit import CausalityError, check_causality
from signals.base import BaseForecaster, realized_target, warning_lines
from signals.combination import Combination, combine_all

__all__ = [
    "FoldResult",
    "Plan",
    "ProgressLines",
    "Refits",
    "Schedule",
    "WalkForwardResult",
    "WarmStart",
    "plan_walk_forward",
    "run_job",
    "run_plan",
    "run_task",
    "task_key",
    "walk_forward",
    "with_combinations",
]

#: The former name of :data:`Refits`.
WarmStart = Refits


@dataclass(frozen=True)
class _Task:
    """One model on one fold: one symbol, or several for a pooled model."""

    model: str
    forecaster: BaseForecaster
    folds: dict[str, Fold]
    audit_cuts: dict[str, tuple[pd.Timestamp, ...]]
    key: str
    pooled: bool
    #: Fit from scratch even in a chain of warm refits (the chain's first fold, or a ``cold_every`` start).
    cold: bool = True
    warm_from: BaseForecaster | None = None


@dataclass(frozen=True)
class _Job:
    """A segment: consecutive folds of one chain (one calendar year's, at most), run one
    after another in one worker and kept in one file per symbol.

    ``frames`` hold each symbol's rows from ``offsets[sym]`` to the segment's last test
    row, shared by its folds (a daily schedule's windows are not copied 252 times).
    """

    tasks: tuple[_Task, ...]
    frames: dict[str, pd.DataFrame]
    offsets: dict[str, int]
    warm: bool  # each task after the first starts from the one before (unless it is cold)
    bulk: bool  # the forecaster's refit_forecasts fits every fold at once
    caches: dict[str, Path] | None
    key: str
    keep_last: bool  # keep the last fold's fitted model: the next segment starts from it


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def task_key(
    forecaster: BaseForecaster,
    digests: Mapping[str, str],
    train_rows: Mapping[str, int],
    warm_key: str | None,
) -> str:
    """Hash of what determines a fold's result: the forecaster's class and
    hyperparameters, the data it sees (every symbol's, for a pooled model), the
    training cut, the warm-start chain and the tradecast version.
    """
    payload = {
        "class": f"{type(forecaster).__module__}.{type(forecaster).__qualname__}",
        "params": _jsonable(forecaster.get_params()),
        "data": dict(digests),  # core.atomic.frame_digest of each symbol's task rows
        "n_train": dict(train_rows),  # the key's old name: renaming it would invalidate every stored fold
        "warm": warm_key,
        "version": __version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def run_task(task: _Task, frames: Mapping[str, pd.DataFrame], offsets: Mapping[str, int]) -> list[FoldResult]:
    """Fit on the fold's training rows, forecast its test dates (run in a worker).

    ``frames[sym]`` holds the symbol's rows from ``offsets[sym]`` on. Returns one
    :class:`FoldResult` per symbol of the task, each holding the fitted model.
    """
    sub = {
        sym: frames[sym].iloc[f.train.start - offsets[sym] : f.test.stop - offsets[sym]]
        for sym, f in task.folds.items()
    }
    model, fit_seconds, said = _fit_task(
        task, {sym: frame.iloc[: task.folds[sym].train_rows] for sym, frame in sub.items()}
    )
    diagnostics = {k: float(v) for k, v in model.diagnostics().items()}
    results = []
    for sym, frame in sub.items():
        fold = task.folds[sym]
        dates = frame.index[fold.test.start - fold.train.start :]
        t1 = time.perf_counter()
        forecast = model.predict(frame, dates).rename(task.model)
        predict_seconds = time.perf_counter() - t1
        if task.audit_cuts.get(sym):
            try:
                check_causality(model, frame, dates, task.audit_cuts[sym])
            except CausalityError as exc:
                raise CausalityError(f"audit of {task.model!r} on {sym}, fold {fold.id}: {exc}") from None
        # one pooled fit serves every symbol of the task: each is charged its share
        results.append(
            _fold_result(
                task,
                sym,
                fold,
                forecast,
                fit_seconds=fit_seconds / len(sub),
                predict_seconds=predict_seconds,
                n_train=int(model.n_train_),
                converged=model.converged_,
                best_epoch=model.best_epoch_,
                warm=task.warm_from is not None,
                history=model.history_,
                attention=model.attention_weights_,
                fitted=model,
                audited=len(task.audit_cuts.get(sym, ())),
                shared_by=len(sub),
                parameters=model.n_parameters(),
                diagnostics=diagnostics,
                warnings=said,
            )
        )
    return results


def _fit_task(task: _Task, train: dict[str, pd.DataFrame]) -> tuple[BaseForecaster, float, tuple[str, ...]]:
    """A fresh clone of the task's model fitted on the training rows (pooled, or one frame),
    warm from the previous fold where the task says so; the fit's seconds and its warnings.
    """
    model = task.forecaster.clone()
    warm = {} if task.warm_from is None else {"warm_start": task.warm_from}
    t0 = time.perf_counter()
    # A worker process's warnings never reach the user: keep them with the
    # result, and walk_forward says them once in the main process.
    with warnings.catch_warnings(record=True) as caught, _in_context(task):
        warnings.simplefilter("always", UserWarning)
        if task.pooled:
            model.fit_pooled(train, **warm)
        else:
            (frame,) = train.values()
            model.fit(frame, **warm)
    return model, time.perf_counter() - t0, warning_lines(caught)


@contextlib.contextmanager
def _in_context(task: _Task) -> Iterator[None]:
    """Errors of a fit say which model, asset and fold they come from; running out of
    memory (a network too large) becomes a :class:`core.errors.TrainingError` with the size asked.
    """
    syms = list(task.folds)
    fold = task.folds[syms[0]]
    where = (
        f"{task.model!r} on {', '.join(syms[:3])}{', ...' if len(syms) > 3 else ''}, fold {fold.id} (training rows "
        f"{fold.train_dates[0].date()} to {fold.train_dates[1].date()})"
    )
    try:
        yield
    except TradecastError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    except (MemoryError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and "alloc" not in str(exc).lower():
            raise
        size = _parameter_count(task.forecaster)
        asked = f" ({size:,} weights, {size * 16 / 2**30:.1f} GiB with gradients and Adam's state)" if size else ""
        raise TrainingError(
            f"{where}: the model needs more memory than there is{asked}: {str(exc)[:200]}. Hint: a smaller hidden."
        ) from None


def _parameter_count(model: BaseForecaster) -> int:
    """A recurrent network's weights from its sizes, before anything is allocated (0 for others)."""
    net = getattr(model, "net", model)  # a hybrid's network
    hidden = getattr(net, "hidden", None)
    if not hidden:
        return 0
    from signals.rnn import weight_count

    hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    return weight_count(str(getattr(net, "cell", "lstm")), len(getattr(net, "features", ()) or ()) or 3, hidden)


def _run_bulk(job: _Job) -> list[list[FoldResult]]:
    """Every fold of a cold, one-symbol segment in one call of the forecaster's
    :meth:`~signals.base.BaseForecaster.refit_forecasts` (the same numbers as a loop of fits).
    """
    ((sym, frame),) = job.frames.items()
    off = job.offsets[sym]
    folds = [task.folds[sym] for task in job.tasks]
    windows = [
        (slice(f.train.start - off, f.train.stop - off), slice(f.test.start - off, f.test.stop - off)) for f in folds
    ]
    refits = job.tasks[0].forecaster.refit_forecasts(frame, windows)
    out = []
    for task, fold, (_, test), r in zip(job.tasks, folds, windows, refits, strict=True):
        forecast = pd.Series(r.forecast, index=frame.index[test], name=task.model)
        fields = dict(n_train=r.n_train, parameters=r.parameters, diagnostics=dict(r.diagnostics), warnings=r.warnings)
        out.append([_fold_result(task, sym, fold, forecast, fit_seconds=r.fit_seconds, predict_seconds=0.0, **fields)])
    return out


def _fold_result(task: _Task, sym: str, fold: Fold, forecast: pd.Series, **fields: Any) -> FoldResult:
    """The :class:`FoldResult` of ``task``'s fit for ``sym`` in ``fold``, with the measured ``fields``."""
    return FoldResult(symbol=sym, model=task.model, fold=fold.id, forecast=forecast, key=task.key, **fields)


def run_job(job: _Job) -> list[list[FoldResult]]:
    """Run a segment's folds in order (in a worker) and keep them in one file per symbol.

    Returns, per fold, one :class:`FoldResult` per symbol; only the last fold keeps its
    fitted model, and only when the next segment starts from it.
    """
    configure_threads()
    try:
        results = _run_bulk(job) if job.bulk else None
    except TradecastError:
        results = None  # fitted one by one below, whose error names the fold that fails
    if results is None:
        results, previous = [], None
        for task in job.tasks:
            if job.warm and previous is not None and not task.cold:
                task = dataclasses.replace(task, warm_from=previous)
            res = run_task(task, job.frames, job.offsets)
            previous = res[0].fitted
            results.append(res)
    for i, res in enumerate(results):
        for r in res:
            if not (job.keep_last and i == len(results) - 1):
                r.fitted = None
    if job.caches is not None:
        for sym, path in job.caches.items():
            save_segment([r for res in results for r in res if r.symbol == sym], path, job.key)
    return results


@dataclass(frozen=True)
class WalkForwardResult:
    """Out-of-sample forecasts and what it took to make them.

    Attributes
    ----------
    forecasts : DataFrame
        Indexed by (``symbol``, ``date``), the date being the target date; one
        column per model, plus ``fold``.
    fits : DataFrame
        Indexed by (``symbol``, ``model``, ``fold``): ``fit_seconds`` (a pooled
        fit's time divided among the ``shared_by`` symbols it served),
        ``predict_seconds``, ``n_train``, ``converged``, ``best_epoch``,
        ``warm``, ``cached``, ``audited`` (cut dates the causality audit
        checked; 0 when not audited), ``shared_by``.
    histories : dict
        Training curves of networks, by (symbol, model, fold).
    attention : dict
        Attention weights by lag, by (symbol, model, fold), for attention models.
    folds : dict of symbol to list of Fold
    frames : dict of symbol to the feature frame used
    models : dict of name to the (unfitted) forecaster
    warnings : tuple of str
        Each warning the fits raised (in any worker), one line per (symbol,
        model, kind) with the number of folds that said it; also raised again
        by :func:`walk_forward` in the calling process.
    weights : dict
        Each combination's weights per date (DataFrame, one column per member), by (symbol, name).
    """

    forecasts: pd.DataFrame
    fits: pd.DataFrame
    histories: dict
    attention: dict
    folds: dict
    frames: dict
    models: dict
    warnings: tuple[str, ...] = ()
    weights: dict = field(default_factory=dict)

    @property
    def symbols(self) -> list[str]:
        """The symbols forecast, in the order of the input."""
        return list(self.frames)

    def for_symbol(self, symbol: str | None = None) -> pd.DataFrame:
        """Forecasts of one symbol (the only one by default), indexed by date."""
        symbol = self._symbol(symbol)
        return self.forecasts.xs(symbol, level="symbol")

    def select(self, symbols: Sequence[str]) -> WalkForwardResult:
        """The result of ``symbols`` alone, in that order: their forecasts, fits, curves,
        folds, frames and combination weights, with every model (what scoring a part of a
        universe in a worker needs; :func:`engine.scoring.score_and_trade`).
        """
        keep = [self._symbol(s) for s in symbols]
        wanted = set(keep)

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty or "symbol" not in (frame.index.names or ()):
                return frame
            return frame[frame.index.get_level_values("symbol").isin(wanted)]

        def by_key(d: dict) -> dict:
            return {k: v for k, v in d.items() if isinstance(k, tuple) and k and k[0] in wanted}

        return dataclasses.replace(
            self,
            forecasts=rows(self.forecasts),
            fits=rows(self.fits),
            histories=by_key(self.histories),
            attention=by_key(self.attention),
            folds={s: self.folds[s] for s in keep if s in self.folds},
            frames={s: self.frames[s] for s in keep},
            weights=by_key(self.weights),
        )

    def _symbol(self, symbol: str | None) -> str:
        if symbol is None:
            if len(self.frames) != 1:
                raise ParameterError(f"several symbols ({', '.join(self.frames)}); name one of them.")
            return next(iter(self.frames))
        if symbol not in self.frames:
            raise ParameterError(f"symbol {symbol!r} is not in this result; symbols: {', '.join(self.frames)}.")
        return symbol

    def realized(self, model: str, symbol: str | None = None) -> pd.Series:
        """The realised target of ``model`` on its forecast dates."""
        symbol = self._symbol(symbol)
        m = self.models[model]
        target = "return" if m.target == "price" else m.target
        return (
            realized_target(self.frames[symbol], m.target, m.horizon)
            .reindex(self.for_symbol(symbol).index)
            .rename(f"realized_{target}")
        )

    def variance_of(self) -> dict[str, str]:
        """What each variance model's forecasts measure (``BaseForecaster.variance_of``:
        "target", "returns" or "mixed"), by name: the ``variance_of`` of
        :func:`strategies.evaluate.strategy_table`.
        """
        return {name: m.variance_of for name, m in self.models.items() if m.target == "variance"}

    def score(self, losses: Sequence[Loss] = ("qlike", "mse")) -> pd.DataFrame:
        """Out-of-sample loss per (symbol, model): variance models by the given
        losses (pairs with a non-positive realised variance are left out of
        QLIKE and log-MSE), return and price models by MSE.
        """
        rows = {}
        for sym in self.frames:
            fc = self.for_symbol(sym)
            for name, m in self.models.items():
                y = self.realized(name, sym).to_numpy()
                f = fc[name].to_numpy()
                names: tuple[Loss, ...] = tuple(losses) if m.target == "variance" else ("mse",)
                # the pairs the first loss scores, as in the leaderboards
                row: dict[str, float] = {"n": int(scoring_mask(y, f, names[0]).sum())}
                for ln in names:
                    use = scoring_mask(y, f, ln)
                    row[ln] = loss_fn(ln, y[use], f[use]) if use.any() else np.nan
                rows[(sym, name)] = row
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index = pd.MultiIndex.from_tuples(out.index, names=["symbol", "model"])
        return out


def _frames(data: pd.DataFrame | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if isinstance(data, pd.DataFrame):
        symbols = frame_info(data).symbols or ("series",)
        return {str(symbols[0]) if len(symbols) == 1 else "series": data}
    if isinstance(data, Mapping) and data and all(isinstance(v, pd.DataFrame) for v in data.values()):
        return {str(k): v for k, v in data.items()}
    raise ParameterError(
        f"walk_forward: data must be a feature frame or a dict of symbol to feature frame; got {type(data).__name__}."
    )


def _models(forecasters) -> dict[str, BaseForecaster]:
    if isinstance(forecasters, Mapping):
        models = dict(forecasters)
    elif isinstance(forecasters, Sequence) and not isinstance(forecasters, str):
        models = {}
        for f in forecasters:
            name = getattr(f, "name", type(f).__name__)
            if name in models:
                raise ParameterError(
                    f"walk_forward: two forecasters are named {name!r}; pass a dict to name them, e.g. {{'{name}-a': "
                    f"..., '{name}-b': ...}}."
                )
            models[name] = f
    else:
        raise ParameterError(
            "walk_forward: forecasters must be a dict of name to forecaster or a list; got "
            f"{type(forecasters).__name__}."
        )
    if not models:
        raise ParameterError("walk_forward: no forecasters given.")
    taken = [n for n in models if str(n).lower() in ("fold", "symbol", "date")]
    if taken:
        raise ParameterError(
            f"walk_forward: a forecaster is named {taken[0]!r}, a name the result uses for its own column or "
            f"index. Hint: name it {taken[0]!r} + '_model'."
        )
    for name, f in models.items():
        if not isinstance(f, BaseForecaster):
            raise ParameterError(
                f"walk_forward: {name!r} is a {type(f).__name__}, not a forecaster. Hint: subclass "
                "signals.base.BaseForecaster (it supplies fit, predict, clone and the capability flags the engine "
                "reads)."
            )
    return models


class ProgressLines:
    """Progress for output that is not a terminal (logs, CI, nohup, notebooks): one
    line per tenth of the work or per ``every`` seconds, whichever comes first,
    with the elapsed time and an estimate of the rest, and a last line at the end.
    The same calls as a tqdm bar (``update``, ``set_postfix_str``, ``close``).

    The estimate counts work, not folds: each model's folds weigh by their cost
    (relative cost x training rows; ``model_costs``), and once a model has
    finished a fold its rate is measured (fit seconds per unit of cost), so that
    a daily HAR fitted in bulk and a network fitted once a year are each
    estimated at their own speed. Fit seconds per wall second turn the work
    left into wall time (the workers run in parallel); they are measured from
    the first finished fold on, not from the start, so that starting the
    workers (seconds of imports) does not read as slow fitting, and never
    exceed ``workers``. Until a second finished segment gives a span to measure
    over, the workers are taken as all busy.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        file=None,
        every: float = 30.0,
        total_cost: float | None = None,
        model_costs: Mapping[str, float] | None = None,
        workers: int = 1,
    ) -> None:
        self.total, self.desc, self.file, self.every = total, desc, file or sys.stderr, every
        self.workers = max(int(workers), 1)
        self.first: tuple[float, float] | None = None  # (time, fit seconds) at the first finished fold
        self.total_cost, self.cost_done = total_cost, 0.0
        self.model_costs = dict(model_costs or {})
        self.cost_by_model: dict[str, float] = collections.defaultdict(float)
        self.seconds_by_model: dict[str, float] = collections.defaultdict(float)
        self.done, self.note = 0, ""
        self.t0 = self.last = time.perf_counter()
        self.next_share = 0.1

    def set_postfix_str(self, note: str, refresh: bool = False) -> None:
        """What finished last, shown at the end of the next line (``refresh`` is tqdm's, unused)."""
        self.note = note

    def update(self, n: int = 1, cost: float = 0.0, model: str | None = None, seconds: float = 0.0) -> None:
        """``n`` more folds done, costing ``cost`` of ``total_cost``; ``model`` and the fit
        ``seconds`` they took calibrate the estimate.
        """
        self.done += n
        self.cost_done += cost
        now = time.perf_counter()
        if model is not None:
            self.cost_by_model[model] += cost
            self.seconds_by_model[model] += seconds
            if self.first is None and seconds > 0:
                self.first = (now, sum(self.seconds_by_model.values()))
        share = self.done / max(self.total, 1)
        if share >= self.next_share or now - self.last >= self.every or self.done == self.total:
            self.next_share = (int(share * 10) + 1) / 10
            self.last = now
            elapsed = now - self.t0
            left = self._left(elapsed, share, now)
            tail = f"about {left:.0f} s left" if self.done < self.total else "done"
            print(
                f"{self.desc}: {self.done}/{self.total} folds ({100 * share:.0f} %), {elapsed:.0f} s elapsed, {tail}"
                + (f" (last: {self.note})" if self.note else ""),
                file=self.file,
                flush=True,
            )

    def _left(self, elapsed: float, share: float, now: float) -> float:
        """Wall seconds left: measured rates where a model has finished folds, the cost share elsewhere."""
        measured = {
            m: s / self.cost_by_model[m]
            for m, s in self.seconds_by_model.items()
            if self.cost_by_model[m] > 0 and s > 0
        }
        fit_seconds = sum(self.seconds_by_model.values())
        if self.model_costs and measured and fit_seconds > 0:
            mean_rate = fit_seconds / sum(self.cost_by_model[m] for m in measured)
            cpu_left = sum(
                max(total - self.cost_by_model.get(m, 0.0), 0.0) * measured.get(m, mean_rate)
                for m, total in self.model_costs.items()
            )
            parallel = float(self.workers)
            if self.first is not None and now - self.first[0] >= 1.0:
                # fit seconds per wall second since the first finished fold: the parallelism, and
                # the share of wall time spent outside fits (predicting, writing fold files)
                parallel = min((fit_seconds - self.first[1]) / (now - self.first[0]), parallel)
            return cpu_left / parallel if parallel > 0 else float("nan")
        work = self.cost_done / self.total_cost if self.total_cost else share
        return elapsed / work - elapsed if work > 0 else float("nan")

    def close(self) -> None:
        """Nothing to release: the last line was printed by ``update``."""


def _progress(
    progress: bool | None,
    total: int,
    total_cost: float | None = None,
    model_costs: Mapping[str, float] | None = None,
    workers: int = 1,
):
    """A tqdm bar on a terminal, log lines elsewhere (their estimate weighted by
    ``total_cost`` and calibrated per model, :class:`ProgressLines`), nothing with ``progress=False``.
    """
    from tqdm.auto import tqdm

    if progress is False or total == 0:
        return tqdm(total=total, disable=True)
    if progress is True or sys.stderr.isatty():
        return tqdm(total=total, desc="walk-forward", unit="fold", file=sys.stderr)
    return ProgressLines(total, "walk-forward", total_cost=total_cost, model_costs=model_costs, workers=workers)


def walk_forward(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    forecasters: Mapping[str, BaseForecaster] | Sequence[BaseForecaster],
    splitter: WalkForward,
    *,
    n_jobs: int = 1,
    executor: Executor = "process",
    refits: Refits = "cold",
    run_dir: str | os.PathLike | None = None,
    pooled: bool = False,
    audit: bool = False,
    audit_cuts: int = 2,
    seed: int = 0,
    progress: bool | None = None,
    ray_address: str | None = None,
    schedules: Mapping[str, WalkForward | Schedule] | None = None,
    combinations: Mapping[str, Combination] | None = None,
    warm_start: Any = UNSET,
) -> WalkForwardResult:
    """Walk-forward out-of-sample forecasts for every (symbol, model, fold).

    Parameters
    ----------
    data : DataFrame or dict of symbol to DataFrame
        Feature frames (:func:`signals.features.feature_frame`), one per asset;
        one model is fitted per asset.
    forecasters : dict of name to forecaster, or a list (named by ``.name``)
    splitter : WalkForward
    n_jobs : int, default 1
        Worker processes (or Ray CPUs); folds, models and assets run in parallel.
    executor : {"process", "ray"}, default "process"
    refits : {"cold", "warm"}, default "cold"
        "warm": networks start from the previous fold's weights (with their
        ``warm_epochs`` budget), GARCH from the previous fold's parameters;
        models without state are fitted cold either way. ``warm_start`` is the
        deprecated spelling (``warm_start`` now means only the fitted model
        that ``BaseForecaster.fit`` starts from).
    run_dir : path, optional
        Folder where finished folds are kept; a re-run skips them.
    pooled : bool, default False
        For a universe: fit one model across all assets (``fit_pooled``) for
        forecasters that support it (``supports_pooling``), instead of one per
        asset; the others stay per asset. The assets must share trading dates.
    audit : bool, default False
        Check causality at ``audit_cuts`` random dates inside every fold.
    audit_cuts : int, default 2
    seed : int, default 0
        Seeds the audit's cut dates.
    progress : bool, optional
        Progress: a bar on a terminal; where the output is not a terminal (logs,
        CI, nohup, notebooks) a line per tenth of the folds with the elapsed time
        and an estimate of the rest (:class:`ProgressLines`); False for none.
    ray_address : str, optional
        Address of a Ray cluster for ``executor="ray"``.
    schedules : dict of model name to WalkForward or Schedule, optional
        A refit schedule of its own for some models (a HAR-X refit daily on a
        rolling window while the networks refit yearly on an expanding one).
        Each must test exactly the rows ``splitter`` tests (same start, same
        end), so that every model is scored on the same dates; it may differ in
        ``refit_every``, ``window``, ``train_length``, ``min_train`` and
        ``embargo``. A :class:`~engine.splits.Schedule` also sets the model's
        ``refits`` and ``cold_every`` (a network updated monthly from its last
        weights and refit in full every year). Models not named follow
        ``splitter``. The ``fold`` column of the forecasts stays ``splitter``'s;
        the fits table lists each model's own folds.
    combinations : dict of name to Combination, optional
        Combinations of the variance forecasters
        (:class:`signals.combination.Combination`): equal weights, or weights
        fitted per date on a rolling window of the members' earlier
        out-of-sample forecasts whose targets were known by then. Each is a
        column of the forecasts and a model of the result (scored like one);
        its weights per date are in ``result.weights``.

    A chain's folds run in segments of one calendar year at most (a daily
    schedule's 252 refits in one job, kept in one file per symbol and year); a
    forecaster with ``supports_bulk_refits`` (HAR, HAR-X) fits a cold segment's
    windows in one call of its ``refit_forecasts``, with the numbers of a loop of fits.
    """
    plan = plan_walk_forward(
        data,
        forecasters,
        splitter,
        refits=_refits(refits, warm_start),
        run_dir=run_dir,
        pooled=pooled,
        audit=audit,
        audit_cuts=audit_cuts,
        seed=seed,
        schedules=schedules,
    )
    return run_plan(
        plan, n_jobs=n_jobs, executor=executor, progress=progress, ray_address=ray_address, combinations=combinations
    )


def run_plan(
    plan: Plan,
    *,
    n_jobs: int = 1,
    executor: Executor = "process",
    progress: bool | None = None,
    ray_address: str | None = None,
    combinations: Mapping[str, Combination] | None = None,
) -> WalkForwardResult:
    """Fit and forecast a planned walk-forward (:func:`plan_walk_forward`): what
    :func:`walk_forward` does after planning, for a caller that read the plan first (the
    job prints its fold counts from it, so the dates are split once).
    """
    bound = _combinations(combinations or {}, plan.models)
    pool = make_executor(n_jobs, executor, ray_address)
    try:
        bar = _progress(progress, plan.n_tasks, plan.total_cost(), plan.model_costs(), pool.slots)
    except BaseException:  # Ctrl-C before the first job: the workers just started go too
        pool.abort()
        raise
    results = _run(plan, pool, bar)
    return with_combinations(_assemble(results, plan.frames, plan.folds, plan.models, plan.model_folds), bound)


def _combinations(combinations: Mapping[str, Combination], models: dict[str, BaseForecaster]) -> dict[str, Combination]:
    """Each combination checked against the run's forecasters (before anything is fitted)."""
    if not isinstance(combinations, Mapping):
        raise ParameterError(
            f"walk_forward: combinations must be a dict of name to Combination; got {type(combinations).__name__}."
        )
    out = {}
    for name, c in combinations.items():
        if not isinstance(c, Combination):
            raise ParameterError(
                f"walk_forward: combinations[{name!r}] must be a signals.combination.Combination; got "
                f"{type(c).__name__}."
            )
        if name in models or str(name).lower() in ("fold", "symbol", "date"):
            raise ParameterError(
                f"walk_forward: the combination {name!r} is named like a forecaster or a column of the result. "
                "Hint: another name, such as 'combo'."
            )
        out[str(name)] = c.bind(models)
    return out


def with_combinations(result: WalkForwardResult, combinations: Mapping[str, Combination]) -> WalkForwardResult:
    """``result`` with each combination's forecasts as a column (before ``fold``), the combination
    among its models and its weights per date in ``weights``, by (symbol, name).
    """
    if not combinations:
        return result
    blocks, weights = [], dict(result.weights)
    for sym in result.symbols:
        fc = result.for_symbol(sym)
        frame = result.frames[sym]
        realized = {c.horizon: realized_target(frame, "variance", c.horizon) for c in combinations.values()}
        cols, w = combine_all(combinations, fc, realized)
        block = pd.concat([fc.drop(columns="fold"), cols, fc[["fold"]]], axis=1)
        block.index = pd.MultiIndex.from_arrays(
            [np.full(len(block), sym, dtype=object), block.index], names=["symbol", "date"]
        )
        blocks.append(block)
        weights.update({(sym, name): v for name, v in w.items()})
    return dataclasses.replace(
        result, forecasts=pd.concat(blocks), models={**result.models, **combinations}, weights=weights
    )


Chain = tuple[
    tuple[str, ...], str
]  # (the symbols one fit sees, the model): per symbol, or all of them for a pooled model


@dataclass(frozen=True)
class Plan:
    """What a walk-forward will do, before anything runs: the folds per symbol, the
    chains (the run of folds one model goes through), which chains are warm and
    where they restart cold, the chains' segments (a calendar year's folds, run as
    one job and kept in one file per symbol), the audit's cut dates, and where
    finished folds go. :meth:`job` builds segment ``j`` of a chain; :meth:`order`
    lists the segments that can start at once (those not waiting for an earlier
    one's fit), longest first.
    """

    frames: dict[str, pd.DataFrame]
    models: dict[str, BaseForecaster]
    folds: dict[str, list[Fold]]
    chains: list[Chain]
    pooled: frozenset[str]
    warm: dict[Chain, bool]
    audit_cuts: dict[tuple[str, str, int], tuple[pd.Timestamp, ...]]
    root: Path | None
    #: Each (symbol, model)'s folds: the model's own schedule, or the symbol's folds.
    model_folds: dict[tuple[str, str], list[Fold]]
    #: Per symbol, one hash per row of its frame (:func:`core.atomic.row_hashes`).
    row_hashes: dict[str, np.ndarray]
    #: Per chain and fold, whether a warm chain fits that fold from scratch (its first
    #: fold, and each ``cold_every`` period's first); every fold of a cold chain.
    cold: dict[Chain, list[bool]] = field(default_factory=dict)
    #: Per chain, its segments: lists of consecutive fold numbers.
    segments: dict[Chain, list[list[int]]] = field(default_factory=dict)
    _keys: dict[Chain, list[str]] = field(default_factory=dict, repr=False)

    def n_folds(self, chain: Chain) -> int:
        """Folds in the schedule of ``chain``'s model on its (first) symbol."""
        return len(self.model_folds[(chain[0][0], chain[1])])

    @property
    def n_tasks(self) -> int:
        """Tasks in the plan: one per fold of every chain."""
        return sum(self.n_folds(c) for c in self.chains)

    def keys(self, chain: Chain) -> list[str]:
        """Each fold's cache key (:func:`task_key`); a warm fold's builds on the one before."""
        if chain not in self._keys:
            syms, name = chain
            keys: list[str] = []
            for k in range(self.n_folds(chain)):
                fs = {sym: self.model_folds[(sym, name)][k] for sym in syms}
                digests = {
                    sym: rows_digest(self.frames[sym].columns, self.row_hashes[sym][f.train.start : f.test.stop])
                    for sym, f in fs.items()
                }
                warm_key = keys[-1] if keys and self.warm[chain] and not self.cold[chain][k] else None
                keys.append(
                    task_key(self.models[name], digests, {sym: f.train_rows for sym, f in fs.items()}, warm_key)
                )
            self._keys[chain] = keys
        return self._keys[chain]

    def continues(self, chain: Chain, j: int) -> bool:
        """Whether segment ``j`` of ``chain`` exists and starts from segment ``j - 1``'s last fit."""
        segments = self.segments[chain]
        return 0 < j < len(segments) and self.warm[chain] and not self.cold[chain][segments[j][0]]

    def job(self, chain: Chain, j: int, warm_from: BaseForecaster | None = None) -> _Job:
        """Segment ``j`` of ``chain``, its first fold warm-started from ``warm_from`` when given."""
        syms, name = chain
        ks = self.segments[chain][j]
        keys = self.keys(chain)
        tasks = []
        for i, k in enumerate(ks):
            fs = {sym: self.model_folds[(sym, name)][k] for sym in syms}
            tasks.append(
                _Task(
                    model=name,
                    forecaster=self.models[name],
                    folds=fs,
                    audit_cuts={sym: self.audit_cuts[(sym, name, k)] for sym in syms},
                    key=keys[k],
                    pooled=name in self.pooled,
                    cold=self.cold[chain][k],
                    warm_from=warm_from if i == 0 and not self.cold[chain][k] else None,
                )
            )
        offsets = {sym: min(t.folds[sym].train.start for t in tasks) for sym in syms}
        stops = {sym: max(t.folds[sym].test.stop for t in tasks) for sym in syms}
        frames = {sym: _named(self.frames[sym].iloc[offsets[sym] : stops[sym]], sym) for sym in syms}
        key = keys[ks[0]] if len(ks) == 1 else hashlib.sha256("|".join(keys[k] for k in ks).encode()).hexdigest()
        audited = any(t.audit_cuts.get(sym) for t in tasks for sym in syms)
        bulk = (
            not self.warm[chain]
            and name not in self.pooled
            and not audited
            and getattr(self.models[name], "supports_bulk_refits", False)
        )
        return _Job(
            tasks=tuple(tasks),
            frames=frames,
            offsets=offsets,
            warm=self.warm[chain],
            bulk=bulk,
            caches=(
                {sym: segment_path(self.root, sym, name, ks, key) for sym in syms} if self.root is not None else None
            ),
            key=key,
            keep_last=self.continues(chain, j + 1),
        )

    def cost(self, chain: Chain, k: int) -> float:
        """What fold ``k`` of ``chain`` costs to fit, in relative cost x training rows."""
        rows = sum(self.model_folds[(sym, chain[1])][k].train_rows for sym in chain[0])
        return self.models[chain[1]].relative_cost * rows

    def total_cost(self) -> float:
        """The cost of every task of the plan (:meth:`cost`)."""
        return sum(self.cost(c, k) for c in self.chains for k in range(self.n_folds(c)))

    def model_costs(self) -> dict[str, float]:
        """The cost of each model's tasks (:meth:`cost`), by model name."""
        out: dict[str, float] = collections.defaultdict(float)
        for c in self.chains:
            out[c[1]] += sum(self.cost(c, k) for k in range(self.n_folds(c)))
        return dict(out)

    def order(self) -> list[tuple[Chain, int]]:
        """The segments that can start at once (every one that does not continue an
        earlier segment's warm chain), longest first: a segment counts with the
        segments that will continue from it (relative cost x training rows, across
        models), so that workers finish together. Results do not depend on the order.
        """

        def cost(chain: Chain, j: int) -> float:
            total = sum(self.cost(chain, k) for k in self.segments[chain][j])
            while self.continues(chain, j + 1):
                j += 1
                total += sum(self.cost(chain, k) for k in self.segments[chain][j])
            return total

        jobs = [(c, j) for c in self.chains for j in range(len(self.segments[c])) if not self.continues(c, j)]
        return sorted(jobs, key=lambda job: -cost(*job))


def _refits(refits: Any, warm_start: Any) -> Refits:
    """``refits``, or its deprecated spelling ``warm_start``, checked under the name the caller used."""
    value = renamed("walk_forward", "warm_start", warm_start, "refits", refits, "cold", stacklevel=4)
    check_choice("walk_forward", "refits" if warm_start is UNSET else "warm_start", value, ("cold", "warm"))
    return value


def plan_walk_forward(
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    forecasters: Mapping[str, BaseForecaster] | Sequence[BaseForecaster],
    splitter: WalkForward,
    *,
    refits: Refits = "cold",
    run_dir: str | os.PathLike | None = None,
    pooled: bool = False,
    audit: bool = False,
    audit_cuts: int = 2,
    seed: int = 0,
    schedules: Mapping[str, WalkForward | Schedule] | None = None,
    warm_start: Any = UNSET,
) -> Plan:
    """Check the arguments of :func:`walk_forward` and plan its tasks (nothing is fitted)."""
    refits = _refits(refits, warm_start)
    frames = _frames(data)
    models = _models(forecasters)
    check_int("walk_forward", "audit_cuts", audit_cuts, 1)
    if not isinstance(splitter, WalkForward):
        raise ParameterError(f"walk_forward: splitter must be a WalkForward; got {type(splitter).__name__}.")
    own = _schedules(models, schedules or {})
    folds = {}
    for sym, frame in frames.items():
        try:
            folds[sym] = splitter.split(frame.index)
        except ParameterError as exc:
            raise ParameterError(
                f"{exc} (on {sym}, whose data runs {frame.index[0].date()} to {frame.index[-1].date()})"
            ) from None
    model_folds = _model_folds(frames, models, folds, {n: s.splitter for n, s in own.items()})
    pool_names = frozenset(n for n, m in models.items() if pooled and len(frames) > 1 and m.supports_pooling)
    for name in pool_names:
        _check_shared_folds(frames, {sym: model_folds[(sym, name)] for sym in frames})
    chains: list[Chain] = [(tuple(frames), n) for n in models if n in pool_names]
    chains += [((sym,), n) for sym in frames for n in models if n not in pool_names]
    warm, cold, segments = _chain_starts(frames, models, chains, model_folds, own, splitter, refits)
    cuts_by_task = _audit_cuts(frames, chains, model_folds, audit_cuts if audit else 0, seed)
    root = Path(run_dir) if run_dir is not None else None
    hashes = {sym: row_hashes(frame) for sym, frame in frames.items()}
    return Plan(
        frames,
        models,
        folds,
        chains,
        pool_names,
        warm,
        cuts_by_task,
        root,
        model_folds,
        hashes,
        cold=cold,
        segments=segments,
    )


def _chain_starts(
    frames: dict[str, pd.DataFrame],
    models: dict[str, BaseForecaster],
    chains: list[Chain],
    model_folds: dict[tuple[str, str], list[Fold]],
    own: dict[str, Schedule],
    splitter: WalkForward,
    refits: Refits,
) -> tuple[dict[Chain, bool], dict[Chain, list[bool]], dict[Chain, Any]]:
    """Per chain: whether it refits warm, which of its folds start cold, and its segments
    (the folds one job fits in a row).
    """
    warm, cold, segments = {}, {}, {}
    for chain in chains:
        sym, name = chain[0][0], chain[1]
        schedule = own.get(name)
        chain_refits = schedule.refits if schedule is not None and schedule.refits is not None else refits
        warm[chain] = chain_refits == "warm" and models[name].supports_warm_start
        chain_folds = model_folds[(sym, name)]
        index = frames[sym].index
        if warm[chain]:
            cold[chain] = (schedule or Schedule(splitter)).cold_starts(index, chain_folds)
        else:
            cold[chain] = [True] * len(chain_folds)
        segments[chain] = segment_bounds(index, chain_folds, cold[chain] if warm[chain] else None)
    return warm, cold, segments


def _audit_cuts(
    frames: dict[str, pd.DataFrame],
    chains: list[Chain],
    model_folds: dict[tuple[str, str], list[Fold]],
    n_cuts: int,
    seed: int,
) -> dict[tuple[str, str, int], tuple[pd.Timestamp, ...]]:
    """The dates each (symbol, model, fold) task is cut at for the causality audit, drawn
    with ``seed`` in task order (none with ``n_cuts == 0``).
    """
    rng = np.random.default_rng(seed)
    out = {}
    for syms, name in chains:
        for sym in syms:
            for fold in model_folds[(sym, name)]:
                dates = frames[sym].index[fold.test]
                cuts: Any = rng.choice(dates, min(n_cuts, len(dates)), replace=False) if n_cuts else []
                out[(sym, name, fold.id)] = tuple(pd.DatetimeIndex(cuts).sort_values())
    return out


def _schedules(
    models: dict[str, BaseForecaster], schedules: Mapping[str, WalkForward | Schedule]
) -> dict[str, Schedule]:
    """Each model's own schedule as a :class:`~engine.splits.Schedule` (a bare WalkForward is one with
    walk_forward's refits); names that are not models are refused.
    """
    unknown = [n for n in schedules if n not in models]
    if unknown:
        raise ParameterError(
            f"walk_forward: schedules names {unknown[0]!r}, which is not a model; the models are {', '.join(models)}."
        )
    out = {}
    for name, schedule in schedules.items():
        if isinstance(schedule, WalkForward):
            schedule = Schedule(schedule)
        if not isinstance(schedule, Schedule):
            raise ParameterError(
                f"walk_forward: schedules[{name!r}] must be a WalkForward or a Schedule; got {type(schedule).__name__}."
            )
        out[name] = schedule
    return out


def _model_folds(
    frames: dict[str, pd.DataFrame],
    models: dict[str, BaseForecaster],
    folds: dict[str, list[Fold]],
    schedules: Mapping[str, WalkForward],
) -> dict[tuple[str, str], list[Fold]]:
    """Each (symbol, model)'s folds; a model's own schedule must test the rows the shared one does."""
    out = {}
    for sym, frame in frames.items():
        shared = folds[sym]
        first, last = shared[0].test.start, shared[-1].test.stop
        for name in models:
            if name not in schedules:
                out[(sym, name)] = shared
                continue
            try:
                own = schedules[name].split(frame.index)
            except ParameterError as exc:
                raise ParameterError(f"the own schedule of {name!r} on {sym}: {exc}") from None
            if (own[0].test.start, own[-1].test.stop) != (first, last):
                dates = frame.index
                raise ParameterError(
                    f"walk_forward: the schedule of {name!r} tests {dates[own[0].test.start].date()} to "
                    f"{dates[own[-1].test.stop - 1].date()} on {sym}, the shared one {dates[first].date()} to "
                    f"{dates[last - 1].date()}; every model must be scored on the same dates. Hint: give the "
                    "schedule the same start; change only refit_every, window, train_length, min_train or embargo."
                )
            out[(sym, name)] = own
    return out


def _run(plan: Plan, pool: Any, bar: Any) -> dict[tuple[str, str, int], FoldResult]:
    """Run a plan's segments on an executor: finished segments are read from the run
    folder, the rest submitted, and a warm chain's next segment starts when the one
    it continues from ends.
    """
    runner = _Runner(plan, pool, bar)
    try:
        runner.run()
    except BaseException:
        # Ctrl-C or an error: stop the workers now, not when their current fits end
        # (finished segments are on disk already; a segment in flight is fitted again on resume)
        bar.close()
        pool.abort()
        raise
    bar.close()
    pool.close()
    return runner.results


class _Runner:
    """The state of one :func:`_run`: results so far, jobs in flight, first-round jobs left."""

    def __init__(self, plan: Plan, pool: Any, bar: Any) -> None:
        self.plan, self.pool, self.bar = plan, pool, bar
        self.results: dict[tuple[str, str, int], FoldResult] = {}
        self.pending: dict[Any, tuple[Chain, int]] = {}
        self.unstarted = 0  # jobs of the first round not yet submitted

    def run(self) -> None:
        order = self.plan.order()
        self.unstarted = len(order)
        for chain, j in order:
            self.unstarted -= 1
            self.start(chain, j, None)
        while self.pending:
            done, _ = self.pool.wait(list(self.pending))
            for handle in done:
                chain, j = self.pending.pop(handle)
                res = self.pool.result(handle)
                self.record(chain, j, res)
                if self.plan.continues(chain, j + 1):
                    self.start(chain, j + 1, res[-1][0].fitted)

    def submit(self, job: _Job) -> Any:
        """Submit one job; one that will run alone (nothing in flight, nothing left to
        submit: a lone warm chain) is lent all the executor's cores, the numbers unchanged.
        """
        return self.pool.submit(run_job, job, self.pool.slots if not self.pending and not self.unstarted else 1)

    def record(self, chain: Chain, j: int, res: list[list[FoldResult]]) -> None:
        # one update per segment: a bulk segment of a daily schedule is hundreds of folds that
        # finish together, and an estimate printed halfway through it would count half
        cost = seconds = 0.0
        k = -1
        for k, per_symbol in zip(self.plan.segments[chain][j], res, strict=True):
            for r in per_symbol:
                self.results[(r.symbol, chain[1], k)] = r
            cost += self.plan.cost(chain, k)
            seconds += 0.0 if per_symbol[0].cached else sum(r.fit_seconds for r in per_symbol)
        self.bar.set_postfix_str(f"{'+'.join(chain[0])} {chain[1]} fold {k}", refresh=False)
        if isinstance(self.bar, ProgressLines):
            self.bar.update(len(res), cost=cost, model=chain[1], seconds=seconds)
        else:
            self.bar.update(len(res))

    @staticmethod
    def from_folder(job: _Job) -> list[list[FoldResult]] | None:
        """A job's results read from the run folder, or None where any is missing."""
        if job.caches is None:
            return None
        template = job.tasks[-1].forecaster if job.keep_last else None
        per_symbol = {}
        for sym, path in job.caches.items():
            loaded = load_segment(path, template, [t.folds[sym].id for t in job.tasks])
            if loaded is None:
                return None
            per_symbol[sym] = loaded
        return [[per_symbol[sym][i] for sym in job.caches] for i in range(len(job.tasks))]

    def start(self, chain: Chain, j: int, warm_from: BaseForecaster | None) -> None:
        """Submit segment ``j`` of a chain, or take it from the run folder and go on to
        the segments that continue from it while they are there too.
        """
        while True:
            job = self.plan.job(chain, j, warm_from)
            cached = self.from_folder(job)
            if cached is None:
                self.pending[self.submit(job)] = (chain, j)
                return
            self.record(chain, j, cached)
            if not self.plan.continues(chain, j + 1):
                return
            warm_from, j = cached[-1][0].fitted, j + 1


def _named(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The task's slice, named by the engine's symbol (its :class:`core.frameinfo.FrameInfo`), so
    that a model with one member per asset (``BatchedRnnUniverse``) finds its member.
    """
    set_info(frame, dataclasses.replace(frame_info(frame), symbols=(symbol,)))
    return frame


def _check_shared_folds(frames: dict[str, pd.DataFrame], folds: dict[str, list[Fold]]) -> None:
    """A pooled model fits all assets on the same dates: their test dates must match."""

    def test_dates(sym: str) -> list[pd.DatetimeIndex]:
        return [frames[sym].index[f.test] for f in folds[sym]]

    ref_sym, *others = list(folds)
    ref = test_dates(ref_sym)
    for sym in others:
        mine = test_dates(sym)
        if len(mine) != len(ref) or any(not a.equals(b) for a, b in zip(mine, ref, strict=False)):
            raise ParameterError(
                f"walk_forward: pooled=True needs the assets to share trading dates, but the folds of {sym} and "
                f"{ref_sym} differ. Hint: align the universe on one calendar (engine.data.load does, with fill='ffill' "
                f"for gaps), or use pooled=False."
            )


def _assemble(results, frames, folds, models, model_folds) -> WalkForwardResult:
    blocks = []
    for sym in frames:
        cols = {}
        for name in models:
            cols[name] = pd.concat([results[(sym, name, f.id)].forecast for f in model_folds[(sym, name)]])
        block = pd.DataFrame(cols)
        fold_id = np.concatenate([np.full(f.n_test, f.id) for f in folds[sym]])
        block["fold"] = fold_id
        block.index = pd.MultiIndex.from_arrays(
            [np.full(len(block), sym, dtype=object), block.index], names=["symbol", "date"]
        )
        blocks.append(block)
    forecasts = pd.concat(blocks)
    fit_rows = {key: r.facts() for key, r in sorted(results.items())}
    fits = pd.DataFrame.from_dict(fit_rows, orient="index")
    fits.index = pd.MultiIndex.from_tuples(fits.index, names=["symbol", "model", "fold"])
    histories = {k: r.history for k, r in results.items() if r.history is not None}
    attention = {k: r.attention for k, r in results.items() if r.attention is not None}
    said = _fold_warnings(results)
    for message, category in said.items():
        warnings.warn(message, category, stacklevel=3)
    return WalkForwardResult(forecasts, fits, histories, attention, folds, frames, dict(models), tuple(said))


def _fold_warnings(results: dict) -> dict[str, type[Warning]]:
    """One line per (model, warning kind): the first fold's message, on how many folds
    it was said, and on how many assets (a universe's forty log models saying the same
    thing are one line, not forty), with the warning class to raise it as.
    """
    from core import errors

    grouped: dict[tuple[str, str], dict[str, list[str]]] = {}
    for (sym, model, _), r in sorted(results.items()):
        for w in r.warnings:
            kind, _, text = w.partition(": ")
            grouped.setdefault((model, kind), {}).setdefault(sym, []).append(text)
    out = {}
    n_folds = collections.Counter(k[:2] for k in results)
    for (model, kind), by_symbol in grouped.items():
        category = getattr(errors, kind, UserWarning)
        first_sym, texts = next(iter(by_symbol.items()))
        if len(by_symbol) == 1:
            line = f"{model} on {first_sym}, {len(texts)} of {n_folds[(first_sym, model)]} folds: {texts[0]}"
        else:
            syms = list(by_symbol)
            names = ", ".join(syms[:3]) + (", ..." if len(syms) > 3 else "")
            folds = sum(len(t) for t in by_symbol.values())
            total = sum(n_folds[(sym, model)] for sym in syms)
            line = f"{model} on {len(syms)} assets ({names}), {folds} of {total} folds; on {first_sym}: {texts[0]}"
        out[line] = category if isinstance(category, type) else UserWarning
    return out
