"""``RnnForecaster(precision="bf16")`` against float32 training: QLIKE and fit time.

Each network is fitted on the embedded S&P 500 up to 2007 and forecasts 2008-2010 (the
crisis: where a forecast's level matters most), against the realised variance of each
day. Three seeds a precision, so that a difference between precisions can be read against
the spread between seeds. Fit seconds are the mean over the seeds, after one warm-up fit
(the first fit in a process pays about a second of set-up). On the CPU the LSTM computes
in bfloat16 (a GRU is refused there: its fused kernel is float32 only); on a CUDA device,
where the device tool lends one, both cells run.

    python benchmarks/precision.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEEDS = (0, 1, 2)


def main() -> None:
    import torch

    from core.evaluation.losses import qlike
    from core.threads import configure_threads
    from signals.base import realized_target
    from signals.rnn import RnnForecaster
    from tests.signals.frames import sp500

    configure_threads()
    frame = sp500()
    train = frame.loc[:"2007-12-31"]
    test = frame.loc["2008-01-01":"2010-12-31"].index
    y = realized_target(frame, "variance", 1).reindex(test).to_numpy()
    kinds = [("cpu", "lstm")] + ([("cuda", "lstm"), ("cuda", "gru")] if torch.cuda.is_available() else [])
    for device, cell in kinds:
        net = dict(cell=cell, hidden=(32,), epochs=30, patience=6, features=("rv", "return"), device=device)
        RnnForecaster(**{**net, "epochs": 1}).fit(train)  # warm-up
        out = {}
        for precision in ("fp32", "bf16"):
            losses, seconds = [], []
            for seed in SEEDS:
                t = time.perf_counter()
                m = RnnForecaster(**net, seed=seed, precision=precision).fit(train)
                seconds.append(time.perf_counter() - t)
                losses.append(qlike(y, m.predict(frame, test).to_numpy()))
            out[precision] = (np.array(losses), float(np.mean(seconds)))
            q = ", ".join(f"{v:.4f}" for v in losses)
            print(f"{device} {cell} {precision}: QLIKE by seed {q}; fit {out[precision][1]:.2f} s")
        (q32, t32), (q16, t16) = out["fp32"], out["bf16"]
        print(
            f"{device} {cell}: bf16 - fp32 QLIKE, mean over seeds {np.mean(q16 - q32):+.4f} "
            f"(spread between seeds under fp32: {np.ptp(q32):.4f}); fit time {t32 / t16:.2f}x faster in bf16"
        )


if __name__ == "__main__":
    main()
