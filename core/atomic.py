"""Atomic, self-checking parquet files.

A file is written to a temporary name in the same folder, flushed to disk and
renamed over the target, so a reader sees either the old file or the whole new
one, never a partial write. Each file carries a SHA-256 of its content in the
parquet metadata; :func:`read_parquet_checked` recomputes it and raises
:class:`CorruptFileError` on any mismatch or read failure, so a damaged file is
detected rather than used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import TradecastError

__all__ = [
    "CorruptFileError",
    "frame_digest",
    "read_parquet_checked",
    "row_hashes",
    "rows_digest",
    "write_bytes_atomic",
    "write_parquet_atomic",
]

_META_KEY = b"tradecast"


class CorruptFileError(TradecastError, OSError):
    """A cached or stored file that cannot be trusted (partial, damaged or altered)."""


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's index, column labels and values (hex)."""
    return rows_digest(frame.columns, row_hashes(frame))


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row (index and values): a row's hash does not depend on
    the other rows, so ``rows_digest(columns, row_hashes(frame)[a:b])`` is the
    digest of ``frame.iloc[a:b]`` without hashing it again.
    """
    return pd.util.hash_pandas_object(frame, index=True).to_numpy()


def rows_digest(columns: pd.Index, hashes: np.ndarray) -> str:
    """SHA-256 (hex) of column labels and row hashes (:func:`row_hashes`)."""
    h = hashlib.sha256()
    h.update(repr([tuple(map(str, c)) if isinstance(c, tuple) else str(c) for c in columns]).encode())
    h.update(np.ascontiguousarray(hashes).tobytes())
    return h.hexdigest()


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder,
    flushed to disk, then renamed over the target.
    """
    return write_atomic(path, lambda fh: fh.write(data))


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write`` on a temporary file in ``path``'s folder, flush it to disk, then
    rename it over ``path``: what is streamed out (no copy of it in memory) appears
    whole or not at all.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; keep the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_parquet_atomic(frame: pd.DataFrame, path: str | os.PathLike, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``frame`` to ``path`` atomically, with ``metadata`` and a content digest.

    Parameters
    ----------
    frame : DataFrame
    path : path of the parquet file; its folder is created if needed.
    metadata : JSON-serialisable dict stored beside the digest.
    """
    meta = {"digest": frame_digest(frame), **(metadata or {})}
    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()})
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return write_bytes_atomic(path, buf.getvalue().to_pybytes())


def read_parquet_checked(path: str | os.PathLike) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a file written by :func:`write_parquet_atomic` and verify its digest.

    Returns
    -------
    (frame, metadata)

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    CorruptFileError
        The file cannot be read, lacks tradecast metadata, or its content does
        not match the stored digest.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[_META_KEY])
        frame = table.to_pandas()
    except Exception as exc:  # any read failure means the file cannot be trusted
        raise CorruptFileError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from exc
    if frame_digest(frame) != meta.get("digest"):
        raise CorruptFileError(f"{path}: content does not match its stored digest")
    return frame, meta
