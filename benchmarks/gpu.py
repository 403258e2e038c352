"""GPU: the batched path on a 20-asset universe, CPU against CUDA.

Walk-forward (yearly refits over the last third of 2,500 rows per asset) of one
LSTM(32) and one GRU(32) per asset, each cell trained as one grouped model per
fold (``BatchedRnnUniverse``, ``pooled=True``), on the CPU and, where torch sees
a CUDA device, on it; prints wall times and the speed-up. On a machine without
a GPU it says so and stops after the CPU figures.

    python benchmarks/gpu.py
"""

from __future__ import annotations

import time

import pandas as pd
import torch
from scaling import make_universe

from engine.data import load
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from signals.batched import BatchedRnnUniverse
from signals.features import feature_frame
from signals.rnn import RnnForecaster


def main() -> None:
    universe = make_universe(feature_frame(load("embedded:sp500")), feature_frame(load("embedded:nasdaq")), 20)
    first = next(iter(universe.values()))
    splitter = WalkForward(start=first.index[len(first) * 2 // 3], refit_every="year")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows, forecasts = {}, {}
    for cell in ("lstm", "gru"):
        for device in devices:
            net = RnnForecaster(
                cell=cell, hidden=(32,), epochs=10, patience=3, features=("rv", "return"), device=device
            )
            model = BatchedRnnUniverse(net=net)
            t0 = time.perf_counter()
            res = walk_forward(universe, {cell: model}, splitter, pooled=True, progress=False)
            rows[(cell, device)] = time.perf_counter() - t0
            forecasts[(cell, device)] = res.forecasts[cell]
    table = pd.Series(rows, name="wall_s").rename_axis(["cell", "device"]).unstack("device")
    print(
        f"20 assets x {len(first)} rows, {len(splitter.split(first.index))} yearly folds, one grouped model per cell "
        "and fold"
    )
    if "cuda" in table:
        table["speed_up"] = table["cpu"] / table["cuda"]
        for cell in ("lstm", "gru"):
            a, b = forecasts[(cell, "cpu")], forecasts[(cell, "cuda")]
            table.loc[cell, "max_rel_diff"] = float(((a - b).abs() / a.abs()).max())
        print(f"device: {torch.cuda.get_device_name(0)}")
    with pd.option_context("display.float_format", "{:.3g}".format):
        print(table.to_string())
    if "cuda" not in table:
        print("torch sees no CUDA device here: CPU figures only.")


if __name__ == "__main__":
    main()
