"""walk_forward on a Ray cluster started apart from the test: a head node and a worker node.

The nodes are started with ``ray start --block`` as child processes (so that
stopping them stops only them, never another test's Ray) on the loopback
address; the driver connects by address, ships tradecast to the workers in its
runtime environment, and must get the forecasts a local run gets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from tests.engine.ray_nodes import RAY_ENV, two_nodes
from tests.signals.frames import sp500

if not os.environ.get("CI"):
    pytest.importorskip("ray", reason="the 'ray' extra is not installed (make test installs it)")


#: The driver: waits for both nodes, then walks forward by address and by $RAY_ADDRESS.
DRIVER = """
import os, sys, time
import ray
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.har import HarForecaster
from signals.naive import EwmaForecaster
from tests.signals.frames import sp500

from tests.engine.ray_nodes import wait_for_nodes

address, out = sys.argv[1], sys.argv[2]
ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
print("nodes", wait_for_nodes(2))
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

    with two_nodes(tmp_path) as address:
        # The driver runs in a fresh process: a Ray session this test process held before (another
        # test's local one) leaves state behind that a new connection must not inherit.
        driver = subprocess.run(
            [sys.executable, "-c", DRIVER, address, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, **RAY_ENV},
        )
        assert driver.returncode == 0, driver.stderr[-4000:]
    for name in ("by_address", "from_env"):
        remote = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(remote, local.forecasts, check_freq=False)
    alone = pd.read_parquet(tmp_path / "alone.parquet")
    pd.testing.assert_frame_equal(alone, local.forecasts[["loghar", "fold"]], check_freq=False)
    assert "nodes 2" in driver.stdout
