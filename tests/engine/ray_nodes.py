"""A Ray cluster of two separately started nodes on the loopback address, for tests and benchmarks.

Each node is ``ray start --block`` in a child process of its own process group, so
stopping the cluster stops only its nodes, never another test's Ray.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: The environment of the nodes and of their drivers: no usage report; token authentication off
#: for this loopback-only cluster (Ray 2.60 turns it on for a new `ray start --head`; a real
#: cluster keeps it, and drivers there set RAY_AUTH_MODE=token).
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path, cpus: int) -> subprocess.Popen:
    ray = Path(sys.executable).with_name("ray")
    env = {**os.environ, **RAY_ENV}
    env.pop("RAY_ADDRESS", None)
    return subprocess.Popen(
        [str(ray), "start", "--block", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group: stopped as a whole below
    )


def _stop(proc: subprocess.Popen) -> None:
    """Stop a node: SIGTERM to ``ray start`` alone, then SIGKILL to whatever of its group is left.

    ``ray start --block`` stops its own processes on SIGTERM (in about a second). Sent to the
    whole group, the signal also reached its GCS and raylet, and the node then waited 30 s
    "draining" for processes already gone.
    """
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.terminate()
        proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextlib.contextmanager
def two_nodes(logs: Path, cpus: int = 1) -> Iterator[str]:
    """A head node and a worker node joined to it, ``cpus`` each; yields the head's address.

    Logs go to ``logs/head.log`` and ``logs/worker.log``; both nodes are stopped on exit.
    """
    port = free_port()
    address = f"127.0.0.1:{port}"
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    head_args = ["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}"]
    head = _start(head_args, logs / "head.log", cpus)
    worker = None
    try:
        deadline = time.monotonic() + 120
        while True:  # the head's GCS port open
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None, (logs / "head.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the Ray head node did not start in 120 s"
                time.sleep(0.1)
        worker = _start([f"--address={address}"], logs / "worker.log", cpus)
        yield address
    finally:
        for proc in (worker, head):
            if proc is not None:
                _stop(proc)
        shutil.rmtree(temp, ignore_errors=True)


def wait_for_nodes(n: int = 2, timeout: float = 120.0) -> int:
    """In a driver connected with ``ray.init``: wait until ``n`` nodes are alive; how many are."""
    import ray

    deadline = time.monotonic() + timeout
    while (alive := len([x for x in ray.nodes() if x["Alive"]])) < n:
        assert time.monotonic() < deadline, f"only {alive} of {n} Ray nodes joined in {timeout:.0f} s"
        time.sleep(0.1)
    return alive
