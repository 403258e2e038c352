"""One writer per folder: the lock is atomic, names who holds it, and a dead holder's lock is taken over."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys

import pytest

from core.locks import LOCK_NAME, FolderInUse, hold, holder, process_alive


def test_a_second_holder_is_refused_with_who_holds_it(tmp_path):
    with hold(tmp_path) as me:
        assert holder(tmp_path)["pid"] == os.getpid() == me["pid"]
        with (
            pytest.raises(FolderInUse, match=rf"is in use by another run \(process {os.getpid()} on "),
            hold(tmp_path),
        ):
            pass
    assert holder(tmp_path) is None  # released


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not process_alive(dead.pid)
    (tmp_path / LOCK_NAME).write_text(
        json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "2026-01-01T00:00:00"})
    )
    with hold(tmp_path) as me:
        assert holder(tmp_path)["pid"] == me["pid"] == os.getpid()


def _race(folder: str, barrier, results) -> None:
    import time

    barrier.wait()
    try:
        with hold(folder):
            results.put("held")
            time.sleep(0.5)  # long enough that every other process tries while this one holds
    except FolderInUse:
        results.put("refused")


def test_of_processes_racing_for_one_folder_exactly_one_holds_it(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(tmp_path / "run"), barrier, results)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    got = sorted(results.get(timeout=5) for _ in procs)
    assert got == ["held", "refused", "refused", "refused"]
