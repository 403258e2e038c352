"""Executors: the process pool's scheduling (workers fed while the main process works) and errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.executors import ProcessExecutor, SerialExecutor, make_executor

ROOT = Path(__file__).resolve().parents[2]


def _task(arg: tuple[str, str]) -> tuple[str, int, bool]:
    """'short' tasks leave a file; 'long' waits (up to a minute) for the last short one's file."""
    kind, path = arg
    if kind == "short":
        Path(path).write_text("done")
        return kind, os.getpid(), True
    if kind == "fail":
        raise ValueError(f"task failed: {path}")
    deadline = time.monotonic() + 60
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return kind, os.getpid(), Path(path).exists()


def _drain(pool, handles):
    out = []
    while handles:
        done, handles = pool.wait(handles)
        out += [pool.result(h) for h in done]
    return out


def test_workers_are_fed_while_the_main_process_runs_a_task(tmp_path):
    # The first task goes to the worker; the main process takes the long one,
    # which only ends once the worker has also run every short task queued
    # behind it. Without a feeder the worker would wait for the main process
    # and the long task would time out.
    pool = ProcessExecutor(2)
    try:
        last = tmp_path / "s5"
        handles = [pool.submit(_task, ("short", str(tmp_path / "s0")))]
        handles.append(pool.submit(_task, ("long", str(last))))
        handles += [pool.submit(_task, ("short", str(tmp_path / f"s{i}"))) for i in range(1, 6)]
        out = _drain(pool, handles)
    finally:
        pool.close()
    long_ = [o for o in out if o[0] == "long"]
    assert long_ == [("long", os.getpid(), True)]
    assert {pid for kind, pid, _ in out if kind == "short"} - {os.getpid()}, "no short task ran in the worker"
    assert len(out) == 7


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_failing_task_raises_from_result(tmp_path, n_jobs):
    pool = make_executor(n_jobs)
    assert isinstance(pool, SerialExecutor if n_jobs == 1 else ProcessExecutor)
    try:
        handles = [pool.submit(_task, ("short", str(tmp_path / "a"))), pool.submit(_task, ("fail", "bad input"))]
        with pytest.raises(ValueError, match="task failed: bad input"):
            _drain(pool, handles)
    finally:
        pool.close()


def test_a_script_without_a_main_guard_gets_a_hint(tmp_path):
    # spawn re-imports the main script in each worker; unguarded, the worker dies
    # while starting, and the user should hear why rather than "BrokenProcessPool"
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from engine.executors import make_executor\n"
        "pool = make_executor(2)\n"
        "handles = [pool.submit(len, 'abc') for _ in range(3)]\n"
        "while handles:\n"
        "    done, handles = pool.wait(handles)\n"
        "    [pool.result(h) for h in done]\n"
        "pool.close()\n"
    )
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0
    assert "WorkerDied" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr, proc.stderr[-2000:]
