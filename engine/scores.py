"""What scoring computed, kept beside a run so that ``tradecast report`` re-renders in seconds.

A finished run's leaderboards, strategy tables and backtests, portfolio and risk
tables (:class:`engine.scoring.Outcome`) are a function of its stored
results (:data:`engine.results.RESULT_FILES`), its ``config.toml``, the code that
scored them and the packages it used. ``scores.pickle`` keeps them with a key
over exactly those; :func:`load_scores` returns them only while the key still
matches, so an edited config, a changed result file, another tradecast or another
vectorbt scores again instead of showing stale numbers.

The file is a cache, not a result: deleting it costs one re-scoring. A run
folder stays data, never code: the file is a pickle, but it is read by an
unpickler that builds only NumPy arrays, pandas and Arrow containers and
tradecast's own result dataclasses, and refuses every other callable a pickle
could name (``os.system``, ``eval``, a pandas reader, a file-opening class), so a
crafted file is refused and scored again, never run. ``tradecast report
--rescore`` does not open it at all. vectorbt's ``Portfolio`` objects are dropped
from the backtests before they are kept (nothing in a report reads them, and they
hold every order).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import pickle
from pathlib import Path
from typing import Any, BinaryIO

from typing_extensions import override

from core.atomic import write_atomic

__all__ = ["SCORES_FILE", "load_scores", "save_scores", "scores_key", "without_portfolios"]

#: The cache file in a run folder.
SCORES_FILE = "scores.pickle"

#: The file starts with this, then the key's 64 hex digits and a newline, then the pickle.
_MAGIC = b"tradecast-scores-1\n"


@functools.cache
def _code_digest() -> str:
    """A digest of the tradecast source that scores a run (its packages' ``.py`` files)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for package in ("core", "engine", "signals", "strategies", "reports"):
        for path in sorted((root / package).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _package_versions() -> str:
    """The versions of the packages that decide a run's numbers (the run summary's list), as one line."""
    from engine.stages import NUMBER_PACKAGES, package_versions

    found = package_versions()
    return ",".join(f"{pkg}={found.get(pkg, 'none')}" for pkg in NUMBER_PACKAGES)


def scores_key(run_dir: str | Path) -> str:
    """The key of a run's scores: its stored results and config, the code and the packages.

    Raises
    ------
    FileNotFoundError
        A stored result file or ``config.toml`` is missing.
    """
    from engine.results import RESULT_FILES

    run_dir = Path(run_dir)
    h = hashlib.sha256()
    for name in (*RESULT_FILES, "config.toml"):
        h.update(name.encode())
        with open(run_dir / name, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    h.update(_code_digest().encode())
    h.update(_package_versions().encode())
    return h.hexdigest()


def without_portfolios(value: Any) -> Any:
    """``value`` with every :class:`strategies.backtest.BacktestResult` in it (in dicts,
    tuples, lists and dataclasses) holding ``portfolio=None``; everything else as it is.
    """
    from strategies.backtest import BacktestResult

    if isinstance(value, BacktestResult):
        return dataclasses.replace(value, portfolio=None) if value.portfolio is not None else value
    if isinstance(value, dict):
        return {k: without_portfolios(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(without_portfolios(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: without_portfolios(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


#: Reconstruction functions a pickle of pandas/NumPy/Arrow data calls, by module.
_FUNCTIONS = {
    "builtins": {"slice", "complex", "set", "frozenset", "bytearray", "range"},
    "copyreg": {"_reconstructor"},
    "numpy": {"dtype", "ndarray"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.numeric": {"_frombuffer"},
    "numpy.core.numeric": {"_frombuffer"},
    "pandas._libs.arrays": {"__pyx_unpickle_NDArrayBacked"},
    "pandas._libs.internals": {"_unpickle_block"},
    "pandas._libs.tslibs.timestamps": {"_unpickle_timestamp"},
    "pandas._libs.tslibs.timedeltas": {"_timedelta_unpickle"},
    "pandas._libs.tslibs.offsets": {"_unpickle_offset"},
    "pandas.core.indexes.base": {"_new_Index"},
    "pandas.core.indexes.datetimes": {"_new_DatetimeIndex"},
    "pandas.core.indexes.period": {"_new_PeriodIndex"},
    "pyarrow.lib": {"_restore_array", "py_buffer", "type_for_alias"},
}

#: pandas' public data classes (not ``HDFStore``, ``ExcelFile``, ``ExcelWriter``: they open files).
_PANDAS = frozenset(
    (
        "ArrowDtype",
        "BooleanDtype",
        "Categorical",
        "CategoricalDtype",
        "CategoricalIndex",
        "DataFrame",
        "DateOffset",
        "DatetimeIndex",
        "DatetimeTZDtype",
        "Float32Dtype",
        "Float64Dtype",
        "Index",
        "Int8Dtype",
        "Int16Dtype",
        "Int32Dtype",
        "Int64Dtype",
        "Interval",
        "IntervalDtype",
        "IntervalIndex",
        "MultiIndex",
        "Period",
        "PeriodDtype",
        "PeriodIndex",
        "RangeIndex",
        "Series",
        "SparseDtype",
        "StringDtype",
        "Timedelta",
        "TimedeltaIndex",
        "Timestamp",
        "UInt8Dtype",
        "UInt16Dtype",
        "UInt32Dtype",
        "UInt64Dtype",
    )
)

#: tradecast's packages: their dataclasses (results) may be kept, nothing else of theirs.
_OWN = ("core.", "engine.", "signals.", "strategies.", "reports.")


def _is_data_class(found: Any) -> bool:
    """A class a kept score may build: NumPy arrays, scalars and dtypes; pandas' containers
    and dtypes (never pandas.io: readers, writers and stores that open files); dates;
    tradecast's result dataclasses (the frozen ones).
    """
    import numpy as np

    if not isinstance(found, type):
        return False
    module = found.__module__
    if found is np.ndarray or issubclass(found, (np.generic, np.dtype)):
        return True
    if module == "pandas":  # pandas names its public classes so, readers and stores too
        return found.__name__ in _PANDAS
    if module.startswith(("pandas.core.", "pandas._libs.", "pandas.arrays")):
        return True
    if module in ("datetime", "zoneinfo", "zoneinfo._zoneinfo"):
        return True
    # frozen ones only: results are frozen; forecasters are (mutable) dataclasses too, and never kept
    return module.startswith(_OWN) and dataclasses.is_dataclass(found) and found.__dataclass_params__.frozen  # type: ignore[attr-defined]


class _DataUnpickler(pickle.Unpickler):
    """An unpickler that builds data, never runs code (see the module's docstring)."""

    @override
    def find_class(self, module: str, name: str) -> Any:
        if name in _FUNCTIONS.get(module, ()):
            return super().find_class(module, name)
        if module.split(".")[0] in ("pandas", "numpy", "datetime", "zoneinfo") or module.startswith(_OWN):
            found = super().find_class(module, name)
            if _is_data_class(found):
                return found
        raise pickle.UnpicklingError(f"{SCORES_FILE} names {module}.{name}, which is not data: not read")


def save_scores(run_dir: str | Path, outcome: Any) -> Path:
    """Keep ``outcome`` (without vectorbt portfolios) in ``run_dir/scores.pickle``, atomically."""
    run_dir = Path(run_dir)
    kept, key = without_portfolios(outcome), scores_key(run_dir)

    def write(fh: BinaryIO) -> None:
        fh.write(_MAGIC + key.encode() + b"\n")
        pickle.dump(kept, fh, protocol=pickle.HIGHEST_PROTOCOL)

    return write_atomic(run_dir / SCORES_FILE, write)


def load_scores(run_dir: str | Path) -> Any | None:
    """The kept scores of ``run_dir``, or None where there are none, they are damaged,
    or their key no longer matches the run's files, the code or the packages.
    """
    path = Path(run_dir) / SCORES_FILE
    try:
        with open(path, "rb") as fh:
            if fh.read(len(_MAGIC)) != _MAGIC or fh.readline(80).rstrip(b"\n").decode("ascii") != scores_key(run_dir):
                return None
            return _DataUnpickler(fh).load()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
