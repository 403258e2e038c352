"""A run's results on disk: what ``tradecast report`` and ``tradecast compare`` read.

A finished run keeps, beside its folds::

    features.parquet   the feature frames the models saw, by (symbol, date), with their attrs
    forecasts.parquet  the out-of-sample forecasts by (symbol, date), one column per model, plus fold
    fits.parquet       one row per (symbol, model, fold): fit and predict seconds, training rows, ...
    training.json      training curves and attention weights of the networks, by symbol/model/fold

Each parquet file is written atomically with a content digest
(:mod:`core.atomic`), so a damaged file is refused, never read as whole.
:func:`load_results` rebuilds the :class:`engine.walkforward.WalkForwardResult`
from them alone: no data source is read and no model is fitted, so a re-rendered
report shows the numbers of the run as it was made.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from core.atomic import CorruptFileError, read_parquet_checked, write_parquet_atomic
from core.errors import DataError
from core.frameinfo import FrameInfo, frame_info, set_info
from engine.config import RunConfig
from engine.walkforward import WalkForwardResult
from signals.base import realized_target

__all__ = ["RESULT_FILES", "StoredResultsError", "load_results", "save_results"]

#: The files :func:`save_results` writes, in the order it writes them.
RESULT_FILES = ("features.parquet", "fits.parquet", "training.json", "forecasts.parquet")


class StoredResultsError(DataError):
    """A run folder whose stored results are missing or damaged."""


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    stacked = pd.concat(frames, names=["symbol", "date"])
    stacked.attrs = {}  # each frame's description is kept by symbol in the file's metadata, not by pandas
    return stacked


def _key(k: tuple) -> str:
    return "/".join(map(str, k))


def save_results(run_dir: str | Path, features: dict[str, pd.DataFrame], result: WalkForwardResult) -> None:
    """Write a run's features, forecasts, fits and training curves (atomically,
    forecasts last: their presence means the rest is there).
    """
    from engine import store

    run_dir = Path(run_dir)
    attrs = {sym: store.jsonable(frame_info(f).to_json()) for sym, f in features.items()}
    write_parquet_atomic(_stack(features), run_dir / "features.parquet", {"attrs": attrs, "symbols": list(features)})
    write_parquet_atomic(result.fits.reset_index(), run_dir / "fits.parquet")
    training = {
        "histories": {_key(k): h.reset_index().to_dict(orient="list") for k, h in result.histories.items()},
        "attention": {_key(k): a.tolist() for k, a in result.attention.items()},
        "warnings": list(result.warnings),
    }
    store.write_json(run_dir / "training.json", training)
    write_parquet_atomic(result.forecasts, run_dir / "forecasts.parquet", {"models": list(result.models)})


def _split_key(k: str) -> tuple[str, str, int]:
    sym, model, fold = k.rsplit("/", 2)
    return sym, model, int(fold)


def _unstacked(stacked: pd.DataFrame, meta: dict) -> dict[str, pd.DataFrame]:
    """The feature frames by symbol, each with its stored description (:class:`core.frameinfo.FrameInfo`)."""
    features = {}
    for sym in meta["symbols"]:
        frame = stacked.xs(sym, level="symbol").copy()
        frame.index = pd.DatetimeIndex(frame.index, name="date")
        set_info(frame, FrameInfo.from_json(meta["attrs"].get(sym, {})))  # old folders: the same keys
        features[sym] = frame
    return features


def load_results(run_dir: str | Path, config: RunConfig) -> tuple[dict[str, pd.DataFrame], WalkForwardResult]:
    """The feature frames and the walk-forward result of a finished run, from its files alone.

    Raises
    ------
    StoredResultsError
        A result file is missing (a run made before tradecast stored them, or one
        that did not finish) or damaged, or the forecasts do not match the config.
    """
    from engine import store

    run_dir = Path(run_dir)
    missing = [name for name in RESULT_FILES if not (run_dir / name).exists()]
    if missing:
        raise StoredResultsError(
            f"{run_dir} has no stored {', '.join(missing)}: its results cannot be re-rendered without fitting again. "
            f"Hint: a run made by an older tradecast, or one that did not finish; run it again with "
            f"tradecast run {run_dir / 'config.toml'}."
        )
    try:
        stacked, meta = read_parquet_checked(run_dir / "features.parquet")
        forecasts, fmeta = read_parquet_checked(run_dir / "forecasts.parquet")
        fits, _ = read_parquet_checked(run_dir / "fits.parquet")
        training = store.read_json(run_dir / "training.json")
    except (CorruptFileError, ValueError) as exc:
        raise StoredResultsError(
            f"{run_dir}: a stored result file is damaged ({exc}). Hint: run it again with "
            f"tradecast run {run_dir / 'config.toml'}."
        ) from None
    fitted = {f.name: f.build() for f in config.forecasters}
    combinations = {c.name: c.build().bind(fitted) for c in config.combinations}
    models = {**fitted, **combinations}
    if list(models) != fmeta.get("models"):
        raise StoredResultsError(
            f"{run_dir}: the stored forecasts are of models {fmeta.get('models')}, but its config.toml "
            f"names {list(models)}. Hint: the config was edited after the run; restore it or run again."
        )
    features = _unstacked(stacked, meta)
    splitter = config.walkforward.splitter()
    folds = {sym: splitter.split(frame.index) for sym, frame in features.items()}
    histories = {_split_key(k): pd.DataFrame(v).set_index("epoch") for k, v in training.get("histories", {}).items()}
    attention = {
        _split_key(k): pd.Series(v, index=pd.RangeIndex(len(v), name="lag"), name="attention")
        for k, v in training.get("attention", {}).items()
    }
    said = tuple(training.get("warnings") or ())
    result = WalkForwardResult(
        forecasts, fits.set_index(["symbol", "model", "fold"]), histories, attention, folds, features, models, said
    )
    # the combinations' weights, recomputed from the stored forecasts (the same numbers: they are a function of them)
    weights = {}
    for sym in result.symbols:
        fc = result.for_symbol(sym)
        for name, c in combinations.items():
            weights[(sym, name)] = c.combine(fc, realized_target(features[sym], "variance", c.horizon))[1]
    return features, dataclasses.replace(result, weights=weights)
