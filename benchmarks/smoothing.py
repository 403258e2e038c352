"""How `[strategy] smooth` was chosen: on 2003-2007, before 2008-2018 is scored.

Vol-targeting can size on the mean of the last k variance forecasts
(:func:`strategies.vol_target.vol_target_weights`, ``smooth=k``). The default k
is chosen on a validation period that the strategy benchmark never scores:
the default job's forecasters walk forward from 2003 on the embedded S&P 500
and NASDAQ (yearly refits, expanding windows; the folds from 2008 on are the
default job's own), and k in 1, 5, 10, 22 is ranked by the mean vol-target
Sharpe ratio over every forecaster and both datasets on 2003-2007. The
2008-2018 figures are printed after the choice, for every k, so a reader sees
what the choice was worth and what the others would have given.

    python benchmarks/smoothing.py        # about a minute on 2 cores
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import replace

import pandas as pd

from engine.config import DataConfig, RunConfig
from engine.job import forecast, prepare
from strategies.evaluate import strategy_table

CANDIDATES = (1, 5, 10, 22)
PERIODS = {"validation 2003-2007": slice("2003-01-01", "2007-12-31"), "test 2008-2018": slice("2008-01-01", None)}


def sharpe_by_smooth(source: str) -> pd.DataFrame:
    """Vol-target Sharpe ratio per (period, model) and candidate k, for one dataset."""
    config = RunConfig(data=DataConfig(source=source))
    config = replace(config, walkforward=replace(config.walkforward, start="2003-01-01", n_jobs=2))
    prepared = prepare(config)
    result = forecast(prepared, progress=False)
    (symbol,) = result.symbols
    frame, st = prepared.features[symbol], config.strategy
    fc = result.for_symbol(symbol)
    models = [m for m, f in result.models.items() if f.target == "variance"]
    kinds = {m: result.models[m].variance_of for m in models}
    rows: dict[tuple[str, str, str], dict[int, float]] = {}
    for period, days in PERIODS.items():
        for k in CANDIDATES:
            table, _ = strategy_table(
                frame["close"],
                fc.loc[days, models],
                dataclasses.replace(st, smooth=k),  # the config's strategy, with this smoothing
                proxy=frame["rv"],
                variance_of=kinds,
                se_reps=10,  # only the Sharpe ratios are read here
            )
            for (model, strategy), sharpe in table["sharpe"].items():
                if strategy != "regime":
                    rows.setdefault((symbol, period, model), {})[k] = sharpe
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["data", "period", "model"])
    return out


def main() -> None:
    t0 = time.perf_counter()
    sharpe = pd.concat([sharpe_by_smooth(s) for s in ("embedded:sp500", "embedded:nasdaq")])
    val = sharpe.xs("validation 2003-2007", level="period").drop("buy_and_hold", level="model")
    chosen = int(val.mean().idxmax())
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 140):
        print("vol-target Sharpe ratio by smooth (columns: forecasts averaged); 10 % target, 2 bp, calibrate='proxy'\n")
        print(sharpe.to_string())
        print(f"\nvalidation mean over every forecaster and both datasets: {val.mean().round(4).to_dict()}")
        print(f"chosen: smooth = {chosen} (the default is {RunConfig().strategy.smooth})")
        test = sharpe.xs("test 2008-2018", level="period")
        gain = test.drop("buy_and_hold", level="model")[chosen] - test.drop("buy_and_hold", level="model")[1]
        print(
            f"2008-2018, smooth={chosen} minus smooth=1: mean {gain.mean():+.3f}, better for {int((gain > 0).sum())} "
            f"of {len(gain)} (dataset, forecaster)"
        )
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
