"""Value-at-Risk and expected shortfall of the default job (embedded S&P 500, out of sample 2008-2018).

Every one-day variance forecaster of the default job, put on the scale of the
close-to-close returns as the strategies are (``calibrate = "proxy"``), turned
into 1 % and 5 % VaR and ES three ways (normal, a Student t fitted on earlier
standardised returns, filtered historical simulation; each day from earlier
days only, after 250 of them) and backtested on the days every model and method
has a forecast: violation rates, Kupiec's unconditional coverage, Christoffersen's
independence and conditional coverage, McNeil and Frey's ES test, and the tick
loss against the run's strongest econometric model with Diebold–Mariano p-values.
The README quotes these figures.

    python benchmarks/risk.py
"""

from __future__ import annotations

import time

import pandas as pd

from engine.config import RunConfig
from engine.scoring import baselines, risk_tables
from engine.stages import forecast, prepare
from engine.terminal import risk_line
from reports.tail_tests import violation_summary


def main() -> None:
    t0 = time.perf_counter()
    config = RunConfig()
    result = forecast(prepare(config), progress=False)
    t1 = time.perf_counter()
    base = baselines(result)
    risk = risk_tables(config, result, base)
    t2 = time.perf_counter()
    table, _ = risk["SP500"]
    print(f"SP500, {risk_line(config, table)}")
    print(violation_summary(table).to_string())
    cols = ["violations", "rate", "kupiec_p", "independence_p", "cc_p", "es_mean", "es_p", "tick_loss"]
    cols += [c for c in table.columns if c.startswith("tick_vs_")] + ["dm_p"]
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 200):
        print(f"\nbacktests (baseline for the tick-loss ratios: {base.get(1)}):")
        print(table[cols].to_string())
    for level in sorted(set(table.index.get_level_values("level"))):
        sub = table.xs(level, level="level")
        ok = sub[(sub["cc_p"] >= 0.05) & (sub["es_p"] >= 0.05)]
        print(
            f"\n{100 * level:g} % level: {len(ok)} of {len(sub)} (model, method) pairs pass conditional coverage and "
            f"the ES test at 5 %: {', '.join('/'.join(i) for i in ok.index) or 'none'}"
        )
        best = sub["tick_loss"].idxmin()
        print(f"  lowest tick loss: {'/'.join(best)} ({sub.loc[best, 'tick_loss']:.4g})")
    print(f"\nwalk-forward {t1 - t0:.1f} s, VaR/ES forecasts and backtests {t2 - t1:.1f} s")


if __name__ == "__main__":
    main()
