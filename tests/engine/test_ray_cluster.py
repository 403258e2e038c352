"""walk_forward on a Ray cluster started apart from the test: a head node and a worker node.

The nodes are started with ``ray start --block`` as child processes (so that
stopping them stops only them, never another test's Ray) on the loopback
address; the driver connects by address, ships tradecast to the workers in its
runtime environment, and must get the forecasts a local run gets.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from tests.signals.frames import sp500

if not os.environ.get("CI"):
    pytest.importorskip("ray", reason="the 'ray' extra is not installed (make test installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    ray = Path(sys.executable).with_name("ray")
    # Token authentication off for this loopback-only test cluster (Ray 2.60 turns it on for a new
    # `ray start --head`; a real cluster keeps it, and drivers there set RAY_AUTH_MODE=token)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_ADDRESS", None)
    return subprocess.Popen(
        [str(ray), "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1", *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group: stopped as a whole below
    )


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


#: The driver: waits for both nodes, then walks forward by address and by $RAY_ADDRESS.
DRIVER = """
import os, sys, time
import ray
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from tests.signals.frames import sp500

address, out = sys.argv[1], sys.argv[2]
ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
deadline = time.monotonic() + 120
while len([n for n in ray.nodes() if n["Alive"]]) < 2:
    assert time.monotonic() < deadline, "the Ray worker node did not join in 120 s"
    time.sleep(1)
print("nodes", len([n for n in ray.nodes() if n["Alive"]]))
ray.shutdown()  # walk_forward connects on its own
frame, split = sp500(), WalkForward(start="2008-01-01", refit_every="year")
models = {"loghar": HarForecaster(log=True), "ewma": EwmaForecaster()}
res = walk_forward(frame, models, split, n_jobs=2, executor="ray", ray_address=address)
assert not ray.is_initialized(), "the executor disconnects from a cluster it connected to"
res.forecasts.to_parquet(os.path.join(out, "by_address.parquet"))
os.environ["RAY_ADDRESS"] = address  # the address from the environment, as `ray job submit` sets it
res = walk_forward(frame, models, split, n_jobs=2, executor="ray")
res.forecasts.to_parquet(os.path.join(out, "from_env.parquet"))
# one job alone is lent cores, but no more than a node has (1 here): it must run, not wait for a 2-CPU node
res = walk_forward(frame, {"loghar": HarForecaster(log=True)}, split, n_jobs=2, executor="ray")
res.forecasts.to_parquet(os.path.join(out, "alone.parquet"))
"""


@pytest.mark.slow
def test_walk_forward_on_a_separately_started_cluster_equals_a_local_run(tmp_path):
    frame = sp500()
    split = WalkForward(start="2008-01-01", refit_every="year")
    models = {"loghar": HarForecaster(log=True), "ewma": EwmaForecaster()}
    local = walk_forward(frame, models, split)

    port = _free_port()
    address = f"127.0.0.1:{port}"
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    head_args = ["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}"]
    head = _start(head_args, tmp_path / "head.log")
    worker = None
    try:
        deadline = time.monotonic() + 120
        while True:  # the head's GCS port open
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None, (tmp_path / "head.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the Ray head node did not start in 120 s"
                time.sleep(1)
        worker = _start([f"--address={address}"], tmp_path / "worker.log")
        # The driver runs in a fresh process: a Ray session this test process held before (another
        # test's local one) leaves state behind that a new connection must not inherit.
        driver = subprocess.run(
            [sys.executable, "-c", DRIVER, address, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"},
        )
        assert driver.returncode == 0, driver.stderr[-4000:]
    finally:
        for proc in (worker, head):
            if proc is not None:
                _stop(proc)
        shutil.rmtree(temp, ignore_errors=True)
    for name in ("by_address", "from_env"):
        remote = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(remote, local.forecasts, check_freq=False)
    alone = pd.read_parquet(tmp_path / "alone.parquet")
    pd.testing.assert_frame_equal(alone, local.forecasts[["loghar", "fold"]], check_freq=False)
    assert "nodes 2" in driver.stdout
