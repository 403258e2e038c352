"""How near one core's peak the default networks train: GFLOP/s of a fit against single-thread sgemm.

One torch thread. The peak is ``torch.mm`` of two 1024 x 1024 float32 matrices (the best of
five). Each network is the default ``RnnForecaster`` but for its cell (GRU or LSTM: hidden
(64, 32), 20 days, batches of 64), fitted on the S&P 500's 2000-2007 rows for a fixed 10
epochs (patience 10). Its useful work is counted from the shapes: a window's forward pass is
``2 * gates * H * (I + H) * seq_len`` multiply-adds per layer (``gates`` 3 for a GRU, 4 for an
LSTM), a training window three forward passes (the backward pass is two) and a validation
window one; elementwise gate arithmetic, the head and the optimiser are not counted, so the
fraction is a lower bound on what the hardware does and an upper bound on the room left.

Each process first fits a network of the cell for one epoch, untimed: the first fit in a
process pays about a second of once-a-process costs (torch's lazy set-up, loading the
fused GRU kernel) that would otherwise be charged to whichever cell ran first.
The GRU runs twice: through the fused CPU kernel (:mod:`signals.gru_cpu`, the default)
and, in a child process with ``TRADECAST_FUSED_GRU=0``, through ``torch.nn.GRU``.

    python benchmarks/cells.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import torch

from engine.data import load
from signals.features import feature_frame
from signals.rnn import RnnForecaster


def sgemm_peak(n: int = 1024, reps: int = 5) -> float:
    """Single-thread float32 matrix product, GFLOP/s (the best of ``reps``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def forward_flops(cell: str, n_inputs: int, hidden: tuple[int, ...], seq_len: int) -> int:
    """Matrix-product FLOPs of one window's forward pass through the recurrent layers."""
    gates = 4 if cell == "lstm" else 3
    sizes = (n_inputs, *hidden)
    return sum(2 * gates * h * (sizes[i] + h) * seq_len for i, h in enumerate(hidden))


def fit_rate(cell: str, frame, epochs: int = 10) -> dict[str, float]:
    """One default network of ``cell`` fitted for ``epochs``: wall seconds and GFLOP/s."""
    net = RnnForecaster(cell=cell, epochs=epochs, patience=10, seed=0)
    counts = {}
    train = net._train

    def counting(Xtr, ytr, Xva, yva, warm_start):
        counts["train"], counts["val"] = len(Xtr), len(Xva)
        return train(Xtr, ytr, Xva, yva, warm_start)

    net._train = counting  # type: ignore[method-assign]
    t = time.perf_counter()
    net.fit(frame)
    wall = time.perf_counter() - t
    epochs = len(net.history_)
    per_window = forward_flops(cell, len(net.features), tuple(net.hidden), net.seq_len)
    flops = epochs * (3 * counts["train"] + counts["val"]) * per_window
    return {"wall_s": wall, "epochs": epochs, "train_windows": counts["train"], "gflops": flops / wall / 1e9}


def report(label: str, cell: str, peak: float) -> None:
    """Fit ``cell`` once untimed for one epoch, then for 10, and print the rate as a fraction of ``peak``."""
    frame = feature_frame(load("embedded:sp500")).loc["2000-01-01":"2007-12-31"]
    warm = fit_rate(cell, frame, epochs=1)
    r = fit_rate(cell, frame)
    print(
        f"{label}: {r['epochs']} epochs of {r['train_windows']} windows in {r['wall_s']:.2f} s "
        f"(after a 1-epoch warm-up fit, {warm['wall_s']:.2f} s): "
        f"{r['gflops']:.2f} GFLOP/s, {100 * r['gflops'] / peak:.1f} % of the peak",
        flush=True,
    )


def main() -> None:
    torch.set_num_threads(1)
    if len(sys.argv) == 3 and sys.argv[1] == "--torch-gru":  # the child process below
        report("gru (torch.nn.GRU)", "gru", float(sys.argv[2]))
        return
    from signals.gru_cpu import fused_gru_available

    peak = sgemm_peak()
    print(f"one core: sgemm peak {peak:.1f} GFLOP/s (torch.mm 1024 x 1024, float32, 1 thread)")
    print(f"fused CPU GRU kernel built: {fused_gru_available()}", flush=True)
    report("gru (fused, the default)", "gru", peak)
    env = {**os.environ, "TRADECAST_FUSED_GRU": "0"}
    subprocess.run([sys.executable, __file__, "--torch-gru", str(peak)], env=env, check=True)
    report("lstm (torch.nn.LSTM, mkldnn)", "lstm", peak)


if __name__ == "__main__":
    main()
