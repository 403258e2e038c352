"""Re-rendering a finished run against running it: the default job (embedded S&P 500).

Runs ``tradecast run`` on the default config into a temporary folder, then
``tradecast report`` on it three times as a user would (each a new process, so
imports count), reading the scores the run kept, and once with ``--rescore``
(scoring everything again from the stored forecasts). Prints each time and the
re-render's share of the run (issue: under 10 %).

    python benchmarks/render.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(*args: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        run_s = _timed("run", "--root", root)
        (run,) = [p for p in Path(root).iterdir() if p.is_dir()]
        kept = [_timed("report", str(run)) for _ in range(3)]
        rescore = _timed("report", str(run), "--rescore")
        after = _timed("report", str(run))
    median = statistics.median(kept)
    print(f"tradecast run (default config, one process, imports included): {run_s:.1f} s")
    print(f"tradecast report, kept scores: {', '.join(f'{k:.2f}' for k in kept)} s (median {median:.2f} s)")
    print(f"tradecast report --rescore (scores everything again): {rescore:.2f} s; the next report: {after:.2f} s")
    print(f"re-render / run: {median / run_s:.1%} with kept scores, {rescore / run_s:.1%} rescoring (target < 10 %)")


if __name__ == "__main__":
    main()
