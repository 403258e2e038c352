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
import hashlib
import json
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.atomic import row_hashes, rows_digest
from core.checks import UNSET, check_choice, check_int, renamed
from core.errors import ParameterError
from core.threads import configure_threads
from engine import __version__
from engine.executors import Executor, make_executor
from engine.foldstore import FoldResult, cache_path, load_fold, save_fold
from engine.splits import Fold, WalkForward
from signals.audit import CausalityError, check_causality
from signals.base import BaseForecaster, realized_target
from signals.losses import Loss, scoring_mask
from signals.losses import loss as loss_fn

__all__ = [
    "BATCH_FOLDS",
    "FoldResult",
    "Plan",
    "ProgressLines",
    "Refits",
    "WalkForwardResult",
    "WarmStart",
    "plan_walk_forward",
    "run_task",
    "run_tasks",
    "task_key",
    "walk_forward",
]

Refits = Literal["cold", "warm"]
#: The former name of :data:`Refits`.
WarmStart = Refits


@dataclass(frozen=True)
class _Task:
    """One model on one fold: one symbol, or several for a pooled model."""

    model: str
    forecaster: BaseForecaster
    frames: dict[str, pd.DataFrame]  # per symbol: rows [train.start, test.stop)
    folds: dict[str, Fold]
    warm_from: BaseForecaster | None
    audit_cuts: dict[str, tuple[pd.Timestamp, ...]]
    caches: dict[str, Path] | None
    key: str
    keep_fitted: bool
    pooled: bool


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


def run_task(task: _Task) -> list[FoldResult]:
    """Fit on the fold's training rows, forecast its test dates (run in a worker).

    Returns one :class:`FoldResult` per symbol of the task.
    """
    configure_threads()
    model = task.forecaster.clone()
    train = {sym: f.iloc[: task.folds[sym].train_rows] for sym, f in task.frames.items()}
    warm = {} if task.warm_from is None else {"warm_start": task.warm_from}
    t0 = time.perf_counter()
    # A worker process's warnings never reach the user: keep them with the
    # result, and walk_forward says them once in the main process.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        if task.pooled:
            model.fit_pooled(train, **warm)
        else:
            (frame,) = train.values()
            model.fit(frame, **warm)
    fit_seconds = time.perf_counter() - t0
    said = tuple(f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, UserWarning))
    diagnostics = {k: float(v) for k, v in model.diagnostics().items()} if hasattr(model, "diagnostics") else {}
    results = []
    for sym, frame in task.frames.items():
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
        result = FoldResult(
            symbol=sym,
            model=task.model,
            fold=fold.id,
            forecast=forecast,
            fit_seconds=fit_seconds / len(task.frames),
            predict_seconds=predict_seconds,
            n_train=int(model.n_train_),
            converged=model.converged_,
            best_epoch=model.best_epoch_,
            warm=task.warm_from is not None,
            history=model.history_,
            attention=model.attention_weights_,
            fitted=model if task.keep_fitted else None,
            audited=len(task.audit_cuts.get(sym, ())),
            shared_by=len(task.frames),
            parameters=model.n_parameters(),
            diagnostics=diagnostics,
            warnings=said,
        )
        if task.caches is not None:
            save_fold(result, task.caches[sym], task.key)
        results.append(result)
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
    """

    forecasts: pd.DataFrame
    fits: pd.DataFrame
    histories: dict
    attention: dict
    folds: dict
    frames: dict
    models: dict
    warnings: tuple[str, ...] = ()

    @property
    def symbols(self) -> list[str]:
        """The symbols forecast, in the order of the input."""
        return list(self.frames)

    def for_symbol(self, symbol: str | None = None) -> pd.DataFrame:
        """Forecasts of one symbol (the only one by default), indexed by date."""
        symbol = self._symbol(symbol)
        return self.forecasts.xs(symbol, level="symbol")

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
        symbols = data.attrs.get("symbols") or ["series"]
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

    The estimate counts work, not folds, when ``total_cost`` is given and each
    ``update`` says what its folds cost (relative cost x training rows): a
    network's yearly fold and a HAR's daily one differ a thousandfold.
    """

    def __init__(
        self, total: int, desc: str, *, file=None, every: float = 30.0, total_cost: float | None = None
    ) -> None:
        self.total, self.desc, self.file, self.every = total, desc, file or sys.stderr, every
        self.total_cost, self.cost_done = total_cost, 0.0
        self.done, self.note = 0, ""
        self.t0 = self.last = time.perf_counter()
        self.next_share = 0.1

    def set_postfix_str(self, note: str, refresh: bool = False) -> None:
        """What finished last, shown at the end of the next line (``refresh`` is tqdm's, unused)."""
        self.note = note

    def update(self, n: int = 1, cost: float = 0.0) -> None:
        """``n`` more folds done, costing ``cost`` of ``total_cost``."""
        self.done += n
        self.cost_done += cost
        now = time.perf_counter()
        share = self.done / max(self.total, 1)
        if share >= self.next_share or now - self.last >= self.every or self.done == self.total:
            self.next_share = (int(share * 10) + 1) / 10
            self.last = now
            elapsed = now - self.t0
            work = self.cost_done / self.total_cost if self.total_cost else share
            left = elapsed / work - elapsed if work > 0 else float("nan")
            tail = f"about {left:.0f} s left" if self.done < self.total else "done"
            print(
                f"{self.desc}: {self.done}/{self.total} folds ({100 * share:.0f} %), {elapsed:.0f} s elapsed, {tail}"
                + (f" (last: {self.note})" if self.note else ""),
                file=self.file,
                flush=True,
            )

    def close(self) -> None:
        """Nothing to release: the last line was printed by ``update``."""


def _progress(progress: bool | None, total: int, total_cost: float | None = None):
    """A tqdm bar on a terminal, log lines elsewhere (their estimate weighted by
    ``total_cost``), nothing with ``progress=False``.
    """
    from tqdm.auto import tqdm

    if progress is False or total == 0:
        return tqdm(total=total, disable=True)
    if progress is True or sys.stderr.isatty():
        return tqdm(total=total, desc="walk-forward", unit="fold", file=sys.stderr)
    return ProgressLines(total, "walk-forward", total_cost=total_cost)


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
    schedules: Mapping[str, WalkForward] | None = None,
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
    schedules : dict of model name to WalkForward, optional
        A refit schedule of its own for some models (a HAR-X refit daily on a
        rolling window while the networks refit yearly on an expanding one).
        Each must test exactly the rows ``splitter`` tests (same start, same
        end), so that every model is scored on the same dates; it may differ in
        ``refit_every``, ``window``, ``train_length``, ``min_train`` and
        ``embargo``. Models not named follow ``splitter``. The ``fold`` column
        of the forecasts stays ``splitter``'s; the fits table lists each model's
        own folds.
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
    bar = _progress(progress, plan.n_tasks, plan.total_cost())
    results = _run(plan, make_executor(n_jobs, executor, ray_address), bar)
    return _assemble(results, plan.frames, plan.folds, plan.models, plan.model_folds)


Chain = tuple[
    tuple[str, ...], str
]  # (the symbols one fit sees, the model): per symbol, or all of them for a pooled model


@dataclass(frozen=True)
class Plan:
    """What a walk-forward will do, before anything runs: the folds per symbol, the
    chains (the run of folds one model goes through), which chains are warm,
    the audit's cut dates, and where finished folds go. Its :meth:`task` builds
    the task for fold ``k`` of a chain; its :meth:`order` lists the chains' first
    tasks, longest first.
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

    def n_folds(self, chain: Chain) -> int:
        """Folds in the schedule of ``chain``'s model on its (first) symbol."""
        return len(self.model_folds[(chain[0][0], chain[1])])

    @property
    def n_tasks(self) -> int:
        """Tasks in the plan: one per fold of every chain."""
        return sum(self.n_folds(c) for c in self.chains)

    def task(self, chain: Chain, k: int, warm_from: list[FoldResult] | None) -> _Task:
        """Fold ``k`` of ``chain``, warm-started from the previous fold's results when given."""
        syms, name = chain
        fs = {sym: self.model_folds[(sym, name)][k] for sym in syms}
        bounds = {sym: (fs[sym].train.start, fs[sym].test.stop) for sym in syms}
        sub = {sym: _named(self.frames[sym].iloc[a:b], sym) for sym, (a, b) in bounds.items()}
        # the digest of each slice from the rows' hashes, computed once per symbol
        digests = {
            sym: rows_digest(self.frames[sym].columns, self.row_hashes[sym][a:b]) for sym, (a, b) in bounds.items()
        }
        key = task_key(
            self.models[name],
            digests,
            {sym: f.train_rows for sym, f in fs.items()},
            warm_from[0].key if warm_from else None,
        )
        return _Task(
            model=name,
            forecaster=self.models[name],
            frames=sub,
            folds=fs,
            warm_from=warm_from[0].fitted if warm_from else None,
            audit_cuts={sym: self.audit_cuts[(sym, name, k)] for sym in syms},
            caches={sym: cache_path(self.root, sym, name, k, key) for sym in syms} if self.root is not None else None,
            key=key,
            keep_fitted=self.warm[chain],
            pooled=name in self.pooled,
        )

    def cost(self, chain: Chain, k: int) -> float:
        """What fold ``k`` of ``chain`` costs to fit, in relative cost x training rows."""
        rows = sum(self.model_folds[(sym, chain[1])][k].train_rows for sym in chain[0])
        return self.models[chain[1]].relative_cost * rows

    def total_cost(self) -> float:
        """The cost of every task of the plan (:meth:`cost`)."""
        return sum(self.cost(c, k) for c in self.chains for k in range(self.n_folds(c)))

    def order(self) -> list[tuple[Chain, list[int]]]:
        """What to submit first, longest first (relative cost x training rows, across
        models), so that workers finish together: the first fold of every warm chain
        (its folds follow one another, so it counts as one job of all its folds'
        rows) and every fold of a cold one, where consecutive folds of a cheap model
        (``relative_cost`` at most 1, such as a HAR refit daily) go in batches of
        :data:`BATCH_FOLDS`, one job each: a fit of a millisecond is not worth a
        round trip to a worker. Results do not depend on the order or the batches.
        """

        def cost(chain: Chain, ks: list[int]) -> float:
            ks = list(range(self.n_folds(chain))) if self.warm[chain] else ks
            return sum(self.cost(chain, j) for j in ks)

        jobs: list[tuple[Chain, list[int]]] = [(c, [0]) for c in self.chains if self.warm[c]]
        for c in self.chains:
            if self.warm[c]:
                continue
            ks = list(range(self.n_folds(c)))
            size = BATCH_FOLDS if self.models[c[1]].relative_cost <= 1.0 else 1
            jobs += [(c, ks[i : i + size]) for i in range(0, len(ks), size)]
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
    schedules: Mapping[str, WalkForward] | None = None,
    warm_start: Any = UNSET,
) -> Plan:
    """Check the arguments of :func:`walk_forward` and plan its tasks (nothing is fitted)."""
    refits = _refits(refits, warm_start)
    frames = _frames(data)
    models = _models(forecasters)
    check_int("walk_forward", "audit_cuts", audit_cuts, 1)
    if not isinstance(splitter, WalkForward):
        raise ParameterError(f"walk_forward: splitter must be a WalkForward; got {type(splitter).__name__}.")
    folds = {sym: splitter.split(frame.index) for sym, frame in frames.items()}
    model_folds = _model_folds(frames, models, folds, schedules or {})
    rng = np.random.default_rng(seed)
    pool_names = frozenset(n for n, m in models.items() if pooled and len(frames) > 1 and m.supports_pooling)
    for name in pool_names:
        _check_shared_folds(frames, {sym: model_folds[(sym, name)] for sym in frames})
    chains: list[Chain] = [(tuple(frames), n) for n in models if n in pool_names]
    chains += [((sym,), n) for sym in frames for n in models if n not in pool_names]
    warm = {c: refits == "warm" and models[c[1]].supports_warm_start for c in chains}
    cuts_by_task = {}
    for syms, name in chains:
        for sym in syms:
            for fold in model_folds[(sym, name)]:
                dates = frames[sym].index[fold.test]
                cuts: Any = rng.choice(dates, min(audit_cuts, len(dates)), replace=False) if audit else []
                cuts_by_task[(sym, name, fold.id)] = tuple(pd.DatetimeIndex(cuts).sort_values())
    root = Path(run_dir) if run_dir is not None else None
    hashes = {sym: row_hashes(frame) for sym, frame in frames.items()}
    return Plan(frames, models, folds, chains, pool_names, warm, cuts_by_task, root, model_folds, hashes)


def _model_folds(
    frames: dict[str, pd.DataFrame],
    models: dict[str, BaseForecaster],
    folds: dict[str, list[Fold]],
    schedules: Mapping[str, WalkForward],
) -> dict[tuple[str, str], list[Fold]]:
    """Each (symbol, model)'s folds; a model's own schedule must test the rows the shared one does."""
    unknown = [n for n in schedules if n not in models]
    if unknown:
        raise ParameterError(
            f"walk_forward: schedules names {unknown[0]!r}, which is not a model; the models are {', '.join(models)}."
        )
    out = {}
    for sym, frame in frames.items():
        shared = folds[sym]
        first, last = shared[0].test.start, shared[-1].test.stop
        for name in models:
            if name not in schedules:
                out[(sym, name)] = shared
                continue
            schedule = schedules[name]
            if not isinstance(schedule, WalkForward):
                raise ParameterError(
                    f"walk_forward: schedules[{name!r}] must be a WalkForward; got {type(schedule).__name__}."
                )
            own = schedule.split(frame.index)
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


#: Consecutive folds of a cheap model sent to a worker as one job (see :meth:`Plan.order`).
BATCH_FOLDS = 64


def run_tasks(tasks: list[_Task]) -> list[list[FoldResult]]:
    """Run several tasks in one worker job, in order (:func:`run_task` each)."""
    return [run_task(task) for task in tasks]


def _run(plan: Plan, pool: Any, bar: Any) -> dict[tuple[str, str, int], FoldResult]:
    """Run a plan's tasks on an executor: finished folds are read from the run folder,
    the rest submitted, and a warm chain's next fold starts when its previous one ends.
    """
    results: dict[tuple[str, str, int], FoldResult] = {}
    pending: dict[Any, tuple[Chain, list[int], list[str]]] = {}
    order = plan.order()
    unstarted = len(order)  # jobs of the first round not yet submitted

    def submit(tasks: list[_Task]) -> Any:
        """Submit one job; one that will run alone (nothing in flight, nothing left to
        submit: a lone warm chain) is lent all the executor's cores, the numbers unchanged.
        """
        return pool.submit(run_tasks, tasks, pool.slots if not pending and not unstarted else 1)

    def record(chain: Chain, k: int, res: list[FoldResult], key: str) -> None:
        for r in res:
            r.key = key
            results[(r.symbol, chain[1], k)] = r
        bar.set_postfix_str(f"{'+'.join(chain[0])} {chain[1]} fold {k}", refresh=False)
        if isinstance(bar, ProgressLines):
            bar.update(1, cost=plan.cost(chain, k))
        else:
            bar.update(1)

    def from_folder(task: _Task) -> list[FoldResult] | None:
        if task.caches is None or not all(p.exists() for p in task.caches.values()):
            return None
        loaded = [load_fold(p, task.forecaster if task.keep_fitted else None) for p in task.caches.values()]
        return [r for r in loaded if r is not None] if all(r is not None for r in loaded) else None

    def start(chain: Chain, ks: list[int], warm_from: list[FoldResult] | None) -> None:
        """Submit folds ``ks`` of a chain (one job), taking those in the run folder from
        there; along a warm chain (one fold at a time), go on while folds are there.
        """
        if plan.warm[chain]:
            (k,) = ks
            while k < plan.n_folds(chain):
                task = plan.task(chain, k, warm_from)
                cached = from_folder(task)
                if cached is None:
                    pending[submit([task])] = (chain, [k], [task.key])
                    return
                record(chain, k, cached, task.key)
                warm_from, k = cached, k + 1
            return
        todo = []
        for k in ks:
            task = plan.task(chain, k, None)
            cached = from_folder(task)
            if cached is None:
                todo.append((k, task))
            else:
                record(chain, k, cached, task.key)
        if todo:
            handle = submit([t for _, t in todo])
            pending[handle] = (chain, [k for k, _ in todo], [t.key for _, t in todo])

    try:
        for chain, ks in order:
            unstarted -= 1
            start(chain, ks, None)
        while pending:
            done, _ = pool.wait(list(pending))
            for handle in done:
                chain, ks, keys = pending.pop(handle)
                for k, key, res in zip(ks, keys, pool.result(handle), strict=True):
                    record(chain, k, res, key)
                if plan.warm[chain]:
                    start(chain, [ks[-1] + 1], res)
    finally:
        bar.close()
        pool.close()
    return results


def _named(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The task's slice, named by the engine's symbol (``attrs["symbols"]``), so that
    a model with one member per asset (``BatchedRnnUniverse``) finds its member.
    """
    frame.attrs = {**frame.attrs, "symbols": [symbol]}
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
    """One line per (symbol, model, warning kind): the first fold's message and
    how many folds said it, with the warning class to raise it as.
    """
    from core import errors

    grouped: dict[tuple[str, str, str], list[str]] = {}
    for (sym, model, _), r in sorted(results.items()):
        for w in r.warnings:
            kind, _, text = w.partition(": ")
            grouped.setdefault((sym, model, kind), []).append(text)
    out = {}
    n_folds = collections.Counter(k[:2] for k in results)
    for (sym, model, kind), texts in grouped.items():
        category = getattr(errors, kind, UserWarning)
        out[f"{model} on {sym}, {len(texts)} of {n_folds[(sym, model)]} folds: {texts[0]}"] = (
            category if isinstance(category, type) else UserWarning
        )
    return out
