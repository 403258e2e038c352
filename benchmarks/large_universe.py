"""Thousands of assets on two cores: ``simulated:N`` through data, features, one pooled GRU and
its out-of-sample year, scoring and the report, for N = 500 and 3,000.

The GRU is job_scaling.py's (GRU(16), rv and return), pooled across every asset, one fold:
trained on 2008-2017 and forecasting 2018; each epoch draws 50 minibatches of 64 windows at
random (``step_rule="sample"``), so that the fit's cost does not grow with the universe and
the run shows what does: the panel, the windows gathered per minibatch, the forecasts of every
asset, the per-asset scoring and the portfolio. Each size runs in a process of its own and
prints its stages' seconds, seconds per asset and peak memory (the main process and, apart,
its workers), with the bytes of the training panel beside those that materialised windows
(``seq_len`` copies of every row) would take.

    python benchmarks/large_universe.py            # 500 and 3,000
    python benchmarks/large_universe.py 3000       # one size
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def config(n: int):
    from engine.config import from_dict

    return from_dict(
        {
            "name": f"large{n}",
            "data": {"source": f"simulated:{n}", "start": "2008-01-01", "vix": ""},
            "walkforward": {"start": "2018-01-01", "n_jobs": 2, "pooled": True},
            "strategy": {"portfolio": {"schemes": ["inverse_vol", "vol_target"], "target_vol": 0.10}},
            "forecasters": [
                {"name": "ewma", "type": "ewma"},
                {
                    "name": "gru",
                    "type": "rnn",
                    "cell": "gru",
                    "hidden": [16],
                    "epochs": 3,
                    "patience": 3,
                    "max_steps": 50,
                    "step_rule": "sample",
                    "features": ["rv", "return"],
                },
            ],
        }
    )


def one(n: int) -> dict[str, float]:
    """The job on ``simulated:n`` in this process: stage seconds and peak memory."""
    import pyarrow.parquet as pq

    from engine.job import run_job

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_job(config(n), Path(tmp) / "run", tearsheets=False, progress=False, echo=lambda *_: None)
        total = time.perf_counter() - t0
        timings = json.loads((Path(tmp) / "run" / "manifest.json").read_text())["timings"]
        rows = pq.ParquetFile(Path(tmp) / "run" / "features.parquet").metadata.num_rows
    row = {"assets": n, "total_s": total, "total_s_per_asset": total / n}
    row |= {f"{k}_s": v for k, v in timings.items()}
    row["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    row["peak_rss_workers_gb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    row["panel_mb"] = rows * 2 * 4 / 1e6  # two float32 inputs a row
    row["materialised_windows_mb"] = rows * 20 * 2 * 4 / 1e6  # seq_len 20 copies
    return row


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]))), flush=True)
        return
    sizes = [int(a) for a in sys.argv[1:]] or [500, 3000]
    print("simulated:N, one pooled GRU fold (2018) beside EWMA, scoring and report, n_jobs=2:", flush=True)
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"  {n}: failed\n{out.stderr[-3000:]}", flush=True)
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print("  " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
