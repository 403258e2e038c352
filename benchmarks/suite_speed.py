"""``make test``'s suite on every core against one process: wall time and the tests counted.

Runs ``pytest -n auto`` (what ``make test`` runs: one worker process per core, pytest-xdist,
with tests/scheduling.py deciding which worker runs which test)
and ``pytest -n 0`` (serial) on the same checkout, one after the other, and prints each run's
wall seconds and its summary line (passed, skipped, failed), the speed-up, and whether both
counted the same tests.

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


def main() -> None:
    rows = {}
    for workers in ("auto", "0"):
        wall, last, counts = run(workers)
        rows[workers] = (wall, counts)
        print(f"pytest -n {workers}: {wall:.0f} s; {last}", flush=True)
    (par, pc), (ser, sc) = rows["auto"], rows["0"]
    print(f"speed-up of -n auto over serial: {ser / par:.2f}x; the same tests counted: {pc == sc} ({pc} / {sc})")


if __name__ == "__main__":
    main()
