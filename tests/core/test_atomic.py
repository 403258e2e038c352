"""core.atomic: whole-or-nothing writes and checked reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import atomic
from core.atomic import CorruptFileError, frame_digest, read_parquet_checked, write_parquet_atomic


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": np.arange(5.0), "b": list("vwxyz")}, index=pd.date_range("2020-01-01", periods=5, name="date")
    )


def test_roundtrip_keeps_frame_and_metadata(tmp_path, frame):
    path = write_parquet_atomic(frame, tmp_path / "sub" / "x.parquet", {"who": "test"})
    back, meta = read_parquet_checked(path)
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    assert meta["who"] == "test" and meta["digest"] == frame_digest(frame)


def test_digest_sees_a_changed_value(frame):
    other = frame.copy()
    other.iloc[2, 0] = 2.0000001
    assert frame_digest(other) != frame_digest(frame)


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, frame, monkeypatch):
    path = write_parquet_atomic(frame, tmp_path / "x.parquet")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        write_parquet_atomic(frame.assign(a=frame["a"] + 1), path)
    monkeypatch.undo()
    back, _ = read_parquet_checked(path)
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]


def test_a_stream_interrupted_halfway_leaves_the_old_file_whole(tmp_path):
    path = atomic.write_bytes_atomic(tmp_path / "s.bin", b"old")

    def half(fh):
        fh.write(b"new, part one")
        raise KeyboardInterrupt  # Ctrl-C in the middle of a streamed write

    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(path, half)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["s.bin"]
    atomic.write_atomic(path, lambda fh: (fh.write(b"a"), fh.write(b"b")))
    assert path.read_bytes() == b"ab"


def test_missing_and_corrupt_files(tmp_path, frame):
    with pytest.raises(FileNotFoundError):
        read_parquet_checked(tmp_path / "none.parquet")
    path = write_parquet_atomic(frame, tmp_path / "x.parquet")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(CorruptFileError, match="unreadable"):
        read_parquet_checked(path)
    # A readable file whose content no longer matches its digest.
    table = pq.read_table(write_parquet_atomic(frame, tmp_path / "y.parquet"))
    changed = table.set_column(0, "a", pa.array([9.0, 1, 2, 3, 4]))
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), tmp_path / "y.parquet")
    with pytest.raises(CorruptFileError, match="does not match its stored digest"):
        read_parquet_checked(tmp_path / "y.parquet")


def test_a_slice_digest_from_row_hashes_equals_hashing_the_slice():
    # walk_forward keys each fold by the digest of its rows, computed from the symbol's row hashes
    # once; it must equal frame_digest of the slice, or old run folders would stop resuming
    from core.atomic import frame_digest, row_hashes, rows_digest
    from tests.signals.frames import sp500

    frame = sp500()
    hashes = row_hashes(frame)
    for a, b in [(0, 100), (50, 1500), (300, len(frame))]:
        assert rows_digest(frame.columns, hashes[a:b]) == frame_digest(frame.iloc[a:b])
    assert rows_digest(frame.columns, hashes[:100]) != rows_digest(frame.columns, hashes[1:101])
