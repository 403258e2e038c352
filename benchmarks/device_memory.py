"""Device memory of the pooled GRU on ``simulated:N``, bounded on the CPU.

A GPU holds what torch allocates on it: the fold's panel, the weights and Adam's state, a
minibatch's gathered windows with the activations its backward pass keeps, and a chunk of
validation windows. This measures that on the CPU: job_scaling.py's pooled GRU (GRU(16), rv
and return, patience 3, ``max_steps=25``: the minibatch grows with the universe) fitted once
on 2008-2017 of every asset, the largest fold of that job, with torch's profiler counting
every allocation and free (:func:`signals.memory.peak_allocated`;
``torch.cuda.max_memory_allocated`` counts the same on a GPU). The minibatches are cut as on
a GPU (``signals.training.shard_bounds`` asked for a CUDA device: chunks of at most
``DEVICE_CHUNK`` windows, one after another), not in the CPU's shards. Two epochs, not ten:
the peak comes in the first, and 3,000 assets' ten epochs would take half an hour here.

What a GPU adds is not counted: the CUDA context (a few hundred MB, outside torch's
allocator) and cuDNN's workspace. cuDNN's GRU keeps for its backward pass about what the
CPU kernel keeps (each step's gates and hidden state), so the figures bound that part.
Each size runs in its own process and prints the training windows, the minibatch, the
bytes of the panel, of the windows were they materialised, and the peak.

    python benchmarks/device_memory.py            # 100, 500 and 3,000 assets
    python benchmarks/device_memory.py 500        # one size
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

SIZES = (100, 500, 3000)


def measure(n: int) -> dict[str, float]:
    """One pooled fit on ``simulated:n`` to 2017, cut as on a GPU; what it allocated and how long it took."""
    import torch

    import signals.training as training
    from core.threads import configure_threads
    from engine.data import by_symbol, load
    from signals.features import feature_frame
    from signals.memory import peak_allocated
    from signals.rnn import RnnForecaster

    configure_threads()
    cuda = torch.device("cuda")  # only asked for its cuts: nothing runs there
    as_on_the_cpu = training.shard_bounds
    training.shard_bounds = lambda m, device: as_on_the_cpu(m, cuda)
    bars = load(f"simulated:{n}", start="2008-01-01")
    frames = {s: feature_frame(b).loc[:"2017-12-31"] for s, b in by_symbol(bars).items()}
    net = RnnForecaster(
        cell="gru", hidden=(16,), epochs=2, patience=3, max_steps=25, features=("rv", "return"), device="cpu"
    )
    t0 = time.perf_counter()
    _, peak = peak_allocated(lambda: net.fit_pooled(frames))
    wall = time.perf_counter() - t0
    rows = sum(len(f) for f in frames.values())
    n_train = round(rows * (1 - net.val_fraction))
    batch, _, _ = net.train_spec(warm=False).scaled(n_train)
    return {
        "assets": n,
        "rows": rows,
        "train_windows_about": n_train,
        "minibatch": batch,
        "epochs_run": len(net.history_),
        "panel_mb": rows * len(net.features) * 4 / 1e6,
        "materialised_windows_mb": rows * net.seq_len * len(net.features) * 4 / 1e6,
        "peak_allocated_mb": peak / 1e6,
        "fit_s": wall,
    }


def main(sizes: tuple[int, ...]) -> None:
    from signals.training import DEVICE_CHUNK

    print(
        "pooled GRU(16) on simulated:N trained on 2008-2017 (2 epochs), minibatches and validation cut as "
        f"on a GPU (chunks of at most {DEVICE_CHUNK} windows):",
        flush=True,
    )
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print("  " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
