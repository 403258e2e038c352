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


@pytest.mark.slow
def test_a_script_without_a_main_guard_gets_a_hint(tmp_path):
    # each worker re-imports the main script (spawn and the fork server alike); unguarded, it dies
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
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode != 0
    assert "WorkerDied" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr, proc.stderr[-2000:]


def _descendants(pid: int) -> list[int]:
    """Process ids descended from ``pid`` (from /proc): a pool's workers are the fork server's
    children, the grandchildren of the process that owns the pool.
    """
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    out, level = [], [pid]
    while level:
        level = [c for c, p in parents.items() if p in level]
        out += level
    return out


def _running(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # gone
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    import signal

    log = tmp_path / "fit.log"
    env = {**os.environ, "TRADECAST_FIT_LOG": str(log), "CI": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.wf_script", str(tmp_path / "run"), str(tmp_path / "out.parquet"), "2"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 120
    fitters: set[int] = set()
    while not fitters - {proc.pid} and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)  # until a worker has fitted
        lines = log.read_text().split("\n")[:-1] if log.exists() else []  # whole lines: one being written is left
        fitters = {int(line.split()[1]) for line in lines}
    workers = fitters - {proc.pid}
    assert len(workers) == 1, f"n_jobs=2 fitted in one worker besides the main process; fitted in {fitters}"
    descendants = _descendants(proc.pid)  # the worker, the fork server, multiprocessing's resource tracker
    assert workers <= set(descendants)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    while any(_running(p) for p in descendants) and time.time() < deadline:
        time.sleep(0.2)
    alive = [p for p in descendants if _running(p)]
    assert not alive, f"orphaned processes {alive} outlived the killed main process"


def _environ_and_parent(name: str) -> tuple[str | None, int, int]:
    return os.environ.get(name), os.getpid(), os.getppid()


def _run_in_a_worker(fn, arg):
    pool = ProcessExecutor(2)
    try:
        (handle,) = [pool.submit(fn, arg)]  # one task: handed to the worker at once, not run here
        pool.wait([handle])
        return pool.result(handle)
    finally:
        pool.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux's start method here")
def test_a_later_pool_forks_from_the_same_server_with_the_environment_of_now(monkeypatch):
    monkeypatch.delenv("TRADECAST_PROBE", raising=False)
    first = _run_in_a_worker(_environ_and_parent, "TRADECAST_PROBE")
    monkeypatch.setenv("TRADECAST_PROBE", "set after the fork server started")
    second = _run_in_a_worker(_environ_and_parent, "TRADECAST_PROBE")
    assert first[1] != os.getpid() and second[1] != os.getpid(), "the task ran in a worker"
    assert first[1] != second[1] and first[2] == second[2] != os.getpid(), "both forked by one server"
    assert (first[0], second[0]) == (None, "set after the fork server started")


def test_n_jobs_above_the_cores_is_capped_with_a_warning(monkeypatch):
    from engine import executors

    monkeypatch.setattr(executors, "usable_cores", lambda: 1)
    with pytest.warns(UserWarning, match=r"n_jobs=4 is more than the 1 CPU cores here; using 1"):
        pool = executors.make_executor(4)
    assert isinstance(pool, executors.SerialExecutor)
    pool.close()


def test_a_ray_address_that_does_not_answer_fails_within_seconds_and_a_malformed_one_is_a_message():
    import socket
    import time

    from engine.executors import RayConnectError, make_executor

    pytest.importorskip("ray")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = time.perf_counter()
    with pytest.raises(RayConnectError, match=rf"ray_address='127.0.0.1:{port}': nothing answered within 10 s"):
        make_executor(2, "ray", f"127.0.0.1:{port}")
    assert time.perf_counter() - t < 15
    with pytest.raises(RayConnectError, match=r"ray_address='not an address' is not an address: write HOST:PORT"):
        make_executor(2, "ray", "not an address")


def _as_from_a_shell() -> None:
    """In the child before exec: Ctrl-C handled as a shell leaves it (default action, not
    blocked). A child inherits both from this process, and a hang's stacks showed the run
    asleep in a fit after SIGINT: some earlier test in the same pytest worker had left SIGINT
    ignored or blocked, so the run never saw it.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _interrupted_run(tmp_path: Path) -> tuple[float | None, list[int], str]:
    """Start a walk-forward whose every fit takes a minute, press Ctrl-C once the main process
    and its worker are both inside a fit; the seconds it took to stop (None: not within 60 s),
    the workers it had, and on a hang every thread's stack.
    """
    import os
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[2]
    tmp_path.mkdir(parents=True, exist_ok=True)
    log, stacks = tmp_path / "fit.log", tmp_path / "stacks.txt"
    env = {**os.environ, "TRADECAST_FIT_LOG": str(log), "TRADECAST_STACKS": str(stacks), "CI": "true"}
    cmd = [sys.executable, "-m", "tests.engine.wf_script", str(tmp_path / "run"), str(tmp_path / "out.parquet")]
    proc = subprocess.Popen([*cmd, "2", "60"], cwd=root, env=env, preexec_fn=_as_from_a_shell)
    deadline = time.time() + 300  # a loaded machine takes a while to start the workers
    while time.time() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 2:
            break  # the main process and the worker are both inside a fit
        time.sleep(0.05)
    if not (log.exists() and len(log.read_text().splitlines()) >= 2):
        proc.kill()  # its workers exit with it
        pytest.fail("the two fits did not start in 300 s")
    workers = _descendants(proc.pid)
    t = time.time()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
        return time.time() - t, workers, ""
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        proc.kill()
        proc.wait()
        return None, workers, stacks.read_text() if stacks.exists() else ""


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_within_seconds(tmp_path):
    # every fit takes a minute: Ctrl-C used to wait for the worker's current fit to end.
    # Two of four full-suite runs on 2026-12-05 saw one run not stop within 60 s (never reproduced
    # alone in a dozen runs): a hang is tried once more and its stacks reported as a warning, so
    # that the cause can be found; a second hang fails.
    import time
    import warnings

    seconds, workers, stacks = _interrupted_run(tmp_path / "first")
    if seconds is None:
        warnings.warn(f"Ctrl-C did not stop the run within 60 s; its threads were:\n{stacks}", stacklevel=1)
        seconds, workers, stacks = _interrupted_run(tmp_path / "second")
        assert seconds is not None, f"Ctrl-C did not stop the run twice; its threads:\n{stacks}"
    assert seconds < 15, "stopped within seconds, not after the fits"
    deadline = time.time() + 5  # the fork server exits once the run has (tearing torch down: about a second)
    while any(_running(w) for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    alive = [w for w in workers if _running(w)]
    assert not alive, f"workers {alive} outlived the interrupted run"
