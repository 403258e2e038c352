"""The whole job (``tradecast run``: data, walk-forward, metrics and strategies, the
report without tear sheets) on ``simulated:N`` for N = 20, 100 and 500, on two
worker processes: log-HAR yearly, log-HAR-X refit weekly on 1,000 rows, GARCH,
EWMA, one GRU(16) pooled across the assets (10 epochs, 25 steps an epoch), VaR and
ES, and the portfolio (inverse volatility, equal risk, vol target); out of sample
2014-2018. Each stage's wall time, its share of the total and its seconds per
asset, and the peak memory of this process and of its workers. Each size's row
is printed as soon as it finishes, so a size that fails keeps the smaller ones.

    python benchmarks/job_scaling.py            # 20, 100, 500
    python benchmarks/job_scaling.py 20 100     # some sizes
"""

from __future__ import annotations

import sys

import pandas as pd
from scaling import whole_job  # the sibling script: benchmarks/ is on the path of a script run from it


def main() -> None:
    sizes = tuple(int(a) for a in sys.argv[1:]) or (20, 100, 500)
    print(f"the whole job on simulated:N, N in {sizes} (n_jobs=2):", flush=True)
    table = whole_job(sizes)
    with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 250):
        print(table.T.to_string())
    if len(table) > 1:
        small, large = table.index[0], table.index[-1]
        ratio = table.loc[large, "total_s_per_asset"] / table.loc[small, "total_s_per_asset"]
        print(f"\nseconds per asset, {large} assets against {small}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
