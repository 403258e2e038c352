"""Finished walk-forward folds on disk: what one (symbol, model, fold) task made.

Layout under a run folder::

    folds/<symbol>/<model>/fold007-<key>.parquet     the forecasts, with the fold's facts as metadata
    folds/<symbol>/<model>/fold007-<key>.state.npz   a warm chain's fitted state (plain arrays)
    folds/<symbol>/<model>/seg0012-0263-<key>.parquet  a segment of several folds (a daily schedule's
                                                       year): forecasts with a fold column, each
                                                       fold's facts in the metadata

A file is written atomically with a content digest (:mod:`core.atomic`) and
keyed by a hash of what determines it (:func:`engine.walkforward.task_key`), so
a re-run reads the folds already done and a damaged file is fitted again,
never used. Fitted state is data, never code: a NumPy ``.npz`` read with
``allow_pickle=False`` into a clone of the configured model.

Every field of :class:`FoldResult` that is a plain value travels through the
metadata by name, so a new field is one edit here, not five.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.atomic import (
    CorruptFileError,
    read_parquet_checked,
    write_bytes_atomic,
    write_parquet_atomic,
)
from signals.base import BaseForecaster

__all__ = [
    "FIT_FACTS",
    "FoldResult",
    "cache_path",
    "load_fold",
    "load_segment",
    "read_state",
    "save_fold",
    "save_segment",
    "segment_path",
    "state_path",
    "write_state",
]


@dataclass
class FoldResult:
    """What one (symbol, model, fold) task produced."""

    symbol: str
    model: str
    fold: int
    forecast: pd.Series
    fit_seconds: float
    predict_seconds: float
    n_train: int
    converged: bool | None = None
    best_epoch: int | None = None
    warm: bool = False
    history: pd.DataFrame | None = None
    attention: pd.Series | None = None
    cached: bool = False
    audited: int = 0  # cut dates at which the causality audit re-made this fold's forecasts
    shared_by: int = 1  # symbols one pooled fit served; fit_seconds is this symbol's share
    parameters: int = 0  # fitted parameters (BaseForecaster.n_parameters)
    diagnostics: dict[str, float] = field(default_factory=dict)  # BaseForecaster.diagnostics() after the fit
    warnings: tuple[str, ...] = ()  # "Category: message" of each warning the fit raised
    fitted: BaseForecaster | None = field(default=None, repr=False)
    key: str = ""  # the cache key of the task that made it (a warm chain's next key builds on it)

    def facts(self) -> dict:
        """The fold's scalar facts, one column each of ``WalkForwardResult.fits``
        (with every diagnostic as a column of its own).
        """
        return {**{f: getattr(self, f) for f in FIT_FACTS}, **self.diagnostics}


#: Fields held as objects of their own, not as plain metadata values.
_OBJECTS = ("forecast", "history", "attention", "fitted", "cached")
#: Fields that are the fold's facts in ``WalkForwardResult.fits``.
FIT_FACTS = tuple(
    f.name
    for f in dataclasses.fields(FoldResult)
    if f.name not in (*_OBJECTS, "symbol", "model", "fold", "diagnostics", "warnings", "key")
) + ("cached",)


def cache_path(run_dir: Path, symbol: str, model: str, fold: int, key: str) -> Path:
    """Where a fold's forecasts are kept (names made safe for a path)."""
    safe = lambda s: "".join(c if c.isalnum() or c in "-_." else "_" for c in s)  # noqa: E731
    return run_dir / "folds" / safe(symbol) / safe(model) / f"fold{fold:03d}-{key[:20]}.parquet"


def segment_path(run_dir: Path, symbol: str, model: str, folds: list[int], key: str) -> Path:
    """Where a segment's forecasts are kept: a one-fold segment is a fold's file
    (:func:`cache_path`), several folds share one file named by the first and last.
    """
    if len(folds) == 1:
        return cache_path(run_dir, symbol, model, folds[0], key)
    one = cache_path(run_dir, symbol, model, folds[0], key)
    return one.with_name(f"seg{folds[0]:04d}-{folds[-1]:04d}-{key[:20]}.parquet")


def state_path(path: Path) -> Path:
    """Where the fitted state beside a fold's forecasts is kept."""
    return path.with_suffix(".state.npz")


def write_state(model: BaseForecaster, path: Path) -> None:
    """A fitted model's warm-start state as a NumPy ``.npz`` of plain arrays: data, never code."""
    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in model.warm_state().items()}
    odd = [k for k, v in arrays.items() if v.dtype.kind not in "biufU"]
    if odd:  # a bug in a forecaster's warm_state, not in the data: say so rather than store what cannot be read back
        raise TypeError(
            f"{type(model).__name__}.warm_state() returned non-numeric arrays {odd}; only numbers and strings are "
            "stored."
        )
    arrays["__fit_end__"] = np.array(str(pd.Timestamp(model.fit_end_)))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes_atomic(path, buf.getvalue())


def read_state(template: BaseForecaster, path: Path) -> BaseForecaster | None:
    """The warm-start state at ``path`` restored into a clone of ``template``, or None
    when the file is missing, damaged or does not fit the model (the fold is then
    fitted again). ``allow_pickle=False``: an object array in the file is refused,
    so a crafted file cannot run code.
    """
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        fit_end = pd.Timestamp(str(arrays.pop("__fit_end__")))
        return template.clone().load_warm_state(arrays, fit_end)
    except Exception:  # any file that does not parse into this model's state is refitted, never trusted
        return None


def _meta(result: FoldResult, key: str) -> dict[str, Any]:
    """A fold's plain fields, history and attention as JSON-ready metadata."""
    meta = {f.name: getattr(result, f.name) for f in dataclasses.fields(FoldResult) if f.name not in _OBJECTS}
    meta["key"] = key
    meta["warnings"] = list(result.warnings)
    meta["history"] = None if result.history is None else result.history.reset_index().to_dict(orient="list")
    meta["attention"] = None if result.attention is None else result.attention.tolist()
    return meta


def _from_meta(meta: dict[str, Any], forecast: pd.Series, fitted: BaseForecaster | None) -> FoldResult:
    """The :class:`FoldResult` that :func:`_meta` described."""
    plain: dict[str, Any] = {}
    for f in dataclasses.fields(FoldResult):
        if f.name in _OBJECTS or f.name not in meta:
            continue  # a field added since the file was written keeps its default
        value = meta[f.name]
        plain[f.name] = (
            tuple(value) if isinstance(f.default, tuple) else dict(value) if f.name == "diagnostics" else value
        )
    history = None if meta.get("history") is None else pd.DataFrame(meta["history"]).set_index("epoch")
    attention = None
    if meta.get("attention") is not None:
        attention = pd.Series(
            meta["attention"], index=pd.RangeIndex(len(meta["attention"]), name="lag"), name="attention"
        )
    forecast = forecast.rename(meta["model"])
    forecast.index.name = None
    return FoldResult(**plain, forecast=forecast, history=history, attention=attention, cached=True, fitted=fitted)


def save_fold(result: FoldResult, path: Path, key: str) -> None:
    """Write a finished fold: its fitted state first (a forecasts file on disk always
    has its state beside it), then its forecasts with every plain field as metadata.
    """
    if result.fitted is not None:
        write_state(result.fitted, state_path(path))
    write_parquet_atomic(result.forecast.to_frame("forecast"), path, _meta(result, key))


def load_fold(path: Path, template: BaseForecaster | None) -> FoldResult | None:
    """A finished fold from its files (with its fitted state restored into a clone of
    ``template`` when given), or None when anything is missing or damaged.
    """
    read = _read(path, template)
    if read is None:
        return None
    frame, meta, fitted = read
    return _from_meta(meta, frame["forecast"], fitted)


def _read(path: Path, template: BaseForecaster | None) -> tuple[pd.DataFrame, dict, BaseForecaster | None] | None:
    """A forecasts file, its metadata and (with ``template``) the fitted state beside it; None when
    any is missing or damaged (the folds are then fitted again).
    """
    try:
        frame, meta = read_parquet_checked(path)
    except (FileNotFoundError, CorruptFileError):
        return None
    fitted = None
    if template is not None:
        fitted = read_state(template, state_path(path))
        if fitted is None:
            return None
    return frame, meta, fitted


def save_segment(results: list[FoldResult], path: Path, key: str) -> None:
    """Write a segment's folds (one symbol's, in order) to one file: a single fold as
    :func:`save_fold` writes it, several with a ``fold`` column and each fold's facts
    in the metadata; the last fold's fitted state beside it when it has one.
    """
    if len(results) == 1:
        save_fold(results[0], path, key)
        return
    last = results[-1]
    if last.fitted is not None:
        write_state(last.fitted, state_path(path))
    frame = pd.concat(
        [
            pd.DataFrame({"forecast": r.forecast.to_numpy(dtype=float), "fold": r.fold}, index=r.forecast.index)
            for r in results
        ]
    )
    write_parquet_atomic(frame, path, {"key": key, "folds": [_meta(r, r.key) for r in results]})


def load_segment(path: Path, template: BaseForecaster | None, folds: list[int]) -> list[FoldResult] | None:
    """A finished segment's folds (``folds``, in order), with the last fold's fitted state
    restored into a clone of ``template`` when given; None when anything is missing,
    damaged or holds other folds.
    """
    if len(folds) == 1:
        one = load_fold(path, template)
        return [one] if one is not None and one.fold == folds[0] else None
    read = _read(path, template)
    if read is None:
        return None
    frame, meta, fitted = read
    metas = meta.get("folds")
    if not isinstance(metas, list) or [m.get("fold") for m in metas] != list(folds):
        return None
    ids = frame["fold"].to_numpy()
    out = []
    for i, m in enumerate(metas):
        forecast = frame["forecast"][ids == m["fold"]]
        out.append(_from_meta(m, forecast, fitted if i == len(metas) - 1 else None))
    return out
