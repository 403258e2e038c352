"""``make test``'s suite on every core against one process: wall time and the tests counted.

Runs ``pytest -n auto`` (what ``make test`` runs: one worker process per core, pytest-xdist,
with tests/scheduling.py deciding which worker runs which test)
and ``pytest -n 0`` (serial) on the same checkout, one after the other, twice (parallel, serial,
parallel, serial: this machine's runs differ by up to 10 % from one to the next), and prints
each run's wall seconds and its summary line (passed, skipped, failed), each pair's speed-up
and that of the means, and whether every run counted the same tests.

    python benchmarks/suite_speed.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(workers: str) -> tuple[float, str, dict[str, int]]:
    """One run of the suite: wall seconds, pytest's last line and its counts by outcome."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", workers],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", last)}
    return wall, last, counts


def main(repeats: int = 2) -> None:
    walls: dict[str, list[float]] = {"auto": [], "0": []}
    counted = []
    for _ in range(repeats):
        for workers in ("auto", "0"):
            wall, last, counts = run(workers)
            walls[workers].append(wall)
            counted.append(counts)
            print(f"pytest -n {workers}: {wall:.0f} s; {last}", flush=True)
    pairs = ", ".join(f"{s / p:.2f}x" for p, s in zip(walls["auto"], walls["0"], strict=True))
    par, ser = sum(walls["auto"]) / repeats, sum(walls["0"]) / repeats
    print(
        f"speed-up of -n auto over serial: {pairs} run by run; {ser / par:.2f}x of the means ({par:.0f} s, {ser:.0f} s)"
    )
    print(f"the same tests counted: {all(c == counted[0] for c in counted)} ({counted[0]})")


if __name__ == "__main__":
    main()
