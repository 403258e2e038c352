"""Pooled training on a 20-asset universe: batch scaling against the fixed batch of 64.

One GRU(32) fitted across all 20 assets of ``simulated:20`` (the seeded
synthetic universe of :mod:`engine.simulate`), walk-forward with yearly refits
over 2015-2018 (4 folds, 55k to 75k training windows each), ``n_jobs=2``:

* ``max_steps=None``: every epoch walks all windows in batches of 64 (tradecast
  before ``max_steps`` existed: 900 to 1,200 steps per epoch);
* ``max_steps=200`` (the default now) and ``25``: the batch grows so that an
  epoch is at most that many steps (about 310 and 2,500 windows a batch), the
  learning rate by the square root of the growth;
* ``200/sample``, ``100/sample``, ``50/sample`` (``step_rule="sample"``): batches
  of 64, but each epoch draws only ``max_steps * 64`` windows at random.

A setting may add ``+sSEED`` (another seed: the noise of the QLIKE), ``+pPATIENCE``
(that patience, 60 epochs at most), ``+warm`` (warm refits: each fold starts
from the last fold's weights and trains on the latest ``warm_rows`` rows of each
asset, ``+rROWS`` to change them, for at most ``warm_epochs``, ``+eEPOCHS``) and ``+n1``
(one process instead of two). A warm chain runs alone, one fold after another,
so the walk-forward lends it both cores: its large minibatches are split into
shards that run in two threads (:func:`signals.training.shard_bounds`), with the
same numbers as ``+n1`` gives on one core.

Each setting runs in a process of its own; prints its wall seconds, CPU seconds
(the process and its two workers) and the mean over assets of the out-of-sample
QLIKE, with log-HAR's for scale. On a GPU (``--device cuda`` where torch sees
one) the same runs time the device.

    python benchmarks/pooled.py [--device cuda] [--settings none,none+s1,200,25+warm,25+warm+n1,100/sample+p10]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from core.evaluation.universe import panel_diebold_mariano
from engine.data import by_symbol, load
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from reports.metrics import per_date_losses
from signals.base import realized_target
from signals.features import feature_frame
from signals.har import HarForecaster
from signals.rnn import RnnForecaster


def qlike_panel(res, model: str) -> pd.DataFrame:
    """Out-of-sample QLIKE per date (rows) and asset (columns)."""
    return pd.DataFrame(
        {
            sym: per_date_losses(
                res.for_symbol(sym)[[model]].astype(float), realized_target(res.frames[sym], "variance", 1)
            )[model]
            for sym in res.symbols
        }
    )


def mean_qlike(res, model: str) -> float:
    """The mean over assets of each asset's mean QLIKE."""
    return float(qlike_panel(res, model).mean().mean())


def frames() -> dict:
    return {s: feature_frame(b) for s, b in by_symbol(load("simulated:20")).items()}


SPLITTER = WalkForward(start="2015-01-01", refit_every="year")


def parse(setting: str) -> tuple[dict, str, int]:
    """``MAX_STEPS[/RULE][+pPATIENCE][+sSEED][+warm][+rWARM_ROWS][+eWARM_EPOCHS][+n1]`` to RnnForecaster
    keywords, the refits and n_jobs.
    """
    head, *options = setting.split("+")
    steps, _, rule = head.partition("/")
    params = {
        "max_steps": None if steps == "none" else int(steps),
        "step_rule": rule or "batch",
        "epochs": 30,
        "patience": 5,
        "seed": 0,
    }
    refits, n_jobs = "cold", 2
    for opt in options:
        if opt == "warm":
            refits = "warm"
        elif opt == "n1":
            n_jobs = 1
        elif opt.startswith("r"):
            params["warm_rows"] = int(opt[1:])
        elif opt.startswith("e"):
            params["warm_epochs"] = int(opt[1:])
        elif opt.startswith("p"):
            params.update(patience=int(opt[1:]), epochs=60)
        elif opt.startswith("s"):
            params["seed"] = int(opt[1:])
        else:
            raise SystemExit(f"unknown option {opt!r} in setting {setting!r}")
    return params, refits, n_jobs


def one(setting: str, device: str, losses: str | None = None) -> None:
    """One setting, in its own process (so that its CPU time, workers included, is its own)."""
    params, refits, n_jobs = parse(setting)
    gru = RnnForecaster(cell="gru", hidden=(32,), device=device, **params)
    res = walk_forward(frames(), {"gru": gru}, SPLITTER, pooled=True, n_jobs=n_jobs, refits=refits, progress=False)
    if losses:
        qlike_panel(res, "gru").to_parquet(losses)
    print(json.dumps({"qlike": mean_qlike(res, "gru")}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--settings",
        default="none,none+s1,200,25,25+warm,25+warm+r2016,25+warm+r2016+s1,25+warm+r2016+n1,100/sample",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--losses", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.device, args.losses)
        return
    scratch = Path(tempfile.mkdtemp(prefix="pooled-"))
    data = frames()
    n_train = sum(len(f.loc[:"2014-12-31"]) for f in data.values())
    print(
        f"universe: 20 assets of simulated:20, {len(next(iter(data.values())))} rows each; the first fold trains on "
        f"{n_train} rows in all; device {args.device}; n_jobs=2 unless +n1, one torch thread per thread"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the floor warnings of log-HAR on a few near-zero ranges
        har = walk_forward(data, {"loghar": HarForecaster(log=True)}, SPLITTER, progress=False)
    print(f"log-HAR (per asset) mean QLIKE {mean_qlike(har, 'loghar'):.4f}", flush=True)
    rows, panels = {}, {}
    for j, setting in enumerate(args.settings.split(",")):
        losses = scratch / f"{j}.parquet"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--one", setting, "--device", args.device, "--losses", str(losses)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        qlike = json.loads(out.stdout.strip().splitlines()[-1])["qlike"]
        rows[setting] = {"wall_s": wall, "cpu_s": cpu, "qlike": qlike}
        panels[setting] = pd.read_parquet(losses)
        print(f"max_steps={setting}: wall {wall:.1f} s, CPU {cpu:.1f} s, mean QLIKE {qlike:.5f}", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    table = pd.DataFrame(rows).T
    table.index.name = "max_steps[/step_rule][+options]"
    if "none" in table.index:
        table["speed_up_wall"] = table.loc["none", "wall_s"] / table["wall_s"]
        table["speed_up_cpu"] = table.loc["none", "cpu_s"] / table["cpu_s"]
        # Is a setting's QLIKE worse than the fixed batch's? The panel Diebold-Mariano test on the
        # cross-sectional mean loss difference (positive: worse); none+s1 shows what a seed alone does.
        for setting, panel in panels.items():
            if setting != "none":
                test = panel_diebold_mariano(panel - panels["none"])
                table.loc[setting, "qlike_diff"] = table.loc[setting, "qlike"] - table.loc["none", "qlike"]
                table.loc[setting, "panel_dm"] = test["dm_stat"]
                table.loc[setting, "dm_p"] = test["dm_pvalue"]
    table["qlike"] = table["qlike"].map("{:.5f}".format)
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160):
        print(table.to_string())


if __name__ == "__main__":
    main()
