"""The whole job on a Ray cluster of two separately started nodes against one machine.

Runs the job of ``benchmarks/job_scaling.py`` (log-HAR, log-HAR-X weekly, GARCH, EWMA,
a pooled GRU, VaR and the portfolio) on ``simulated:N`` twice: in local worker
processes (``executor = "process"``, two), then on a cluster of a head node and a
worker node started apart with ``ray start`` (one CPU each, loopback address), the
driver connecting by address. Prints both times and the largest difference between
the two runs' forecasts (the target: none) and strategy returns.

    python benchmarks/ray_cluster.py          # N = 500 (about 40 minutes on two cores)
    python benchmarks/ray_cluster.py 20       # a quick check
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scaling import job_config  # the sibling script: benchmarks/ is on the path of a script run from it

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.job import run_job  # noqa: E402 - after the path set-up, as a script
from tests.engine.ray_nodes import RAY_ENV, two_nodes  # noqa: E402


def _run(config, run_dir: Path) -> float:
    t = time.perf_counter()
    run_job(config, run_dir, tearsheets=False, progress=False, echo=lambda *_: None)
    return time.perf_counter() - t


def _largest_difference(a: pd.DataFrame, b: pd.DataFrame) -> float:
    assert a.shape == b.shape and a.index.equals(b.index) and list(a.columns) == list(b.columns), "shapes differ"
    x, y = a.select_dtypes("number").to_numpy(float), b.select_dtypes("number").to_numpy(float)
    same_nan = np.array_equal(np.isnan(x), np.isnan(y))
    return float(np.nanmax(np.abs(x - y))) if same_nan else float("inf")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    os.environ.update(RAY_ENV)
    config = job_config(n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        local_s = _run(config, tmp / "local")
        with two_nodes(tmp) as address:
            wf = dataclasses.replace(config.walkforward, executor="ray", ray_address=address)
            cluster_s = _run(dataclasses.replace(config, walkforward=wf), tmp / "cluster")
        diffs = {
            name: _largest_difference(pd.read_parquet(tmp / "local" / name), pd.read_parquet(tmp / "cluster" / name))
            for name in ("forecasts.parquet", "returns.parquet")
        }
    print(f"simulated:{n}, the whole job: one machine (2 local worker processes) {local_s:.0f} s")
    print(f"the same job on a Ray cluster of two separately started nodes (1 CPU each): {cluster_s:.0f} s")
    for name, d in diffs.items():
        print(f"largest difference in {name}: {d:.3g}" + (" (identical)" if d == 0 else ""))


if __name__ == "__main__":
    main()
