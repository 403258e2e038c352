"""Starting a local pool: the fork server against spawn, over calls in one session.

A user calls ``walk_forward(..., n_jobs=2)`` several times in one notebook, and a job
runs a walk-forward and then the scoring, each with a pool of its own. Each call here
walks a log-HAR (a cheap model, so that the pool's start is what shows) forward over
the embedded S&P 500 with yearly refits on two processes, three times in one process,
once with the fork server (:func:`engine.executors.pool_context`, Linux's start method)
and once with spawn (what every platform used before), each mode in a fresh process.
It prints each call's wall seconds, the workers' CPU seconds, and whether the forecasts
are the same.

    python benchmarks/pool_start.py
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CALLS = 3


def session(mode: str) -> dict:
    """Three walk-forwards in this process with ``mode``'s start method: wall seconds per call,
    the CPU seconds of every process but this one (workers, fork server), the forecasts' sum.
    """
    import psutil

    from engine import executors
    from engine.splits import WalkForward
    from engine.walkforward import walk_forward
    from signals.har import HarForecaster
    from tests.signals.frames import sp500

    if mode == "spawn":  # what every platform used before the fork server
        executors.pool_context = lambda: multiprocessing.get_context("spawn")
    frame, split = sp500(), WalkForward(start="2008-01-01", refit_every="year")
    me = psutil.Process()
    seen: dict[int, float] = {}

    def others_cpu() -> None:  # children's CPU, read while they live (the fork server is not reaped)
        for p in me.children(recursive=True):
            try:
                t = p.cpu_times()
                seen[p.pid] = t.user + t.system
            except psutil.Error:
                pass

    walls, sums = [], []
    for _ in range(CALLS):
        t = time.perf_counter()
        out = walk_forward(frame, {"loghar": HarForecaster(log=True)}, split, n_jobs=2, progress=False)
        walls.append(time.perf_counter() - t)
        others_cpu()
        sums.append(float(out.forecasts["loghar"].sum()))
    return {"walls": walls, "worker_cpu": sum(seen.values()), "sums": sums}


def main() -> None:
    results = {}
    for mode in ("forkserver", "spawn"):
        if mode == "forkserver" and not sys.platform.startswith("linux"):
            continue
        out = subprocess.run(
            [sys.executable, __file__, "--session", mode], cwd=ROOT, capture_output=True, text=True, check=True
        )
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[mode]
        calls = ", ".join(f"{w:.2f}" for w in r["walls"])
        print(f"{mode:>10}: calls {calls} s; workers' CPU {r['worker_cpu']:.1f} s")
    if len(results) == 2:
        fs, sp = results["forkserver"], results["spawn"]
        later = sum(sp["walls"][1:]) / sum(fs["walls"][1:])
        print(f"later calls: spawn takes {later:.1f}x the fork server's wall time")
        print(f"the same forecasts every call: {fs['sums'] == sp['sums']}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--session":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(session(sys.argv[2])))
    else:
        main()
