"""A walk-forward run in its own process, for the kill-and-resume test.

usage: python -m tests.engine.wf_script RUN_DIR OUT_PARQUET [N_JOBS [DELAY]]
"""

import faulthandler
import os
import signal
import sys

from engine.splits import WalkForward
from engine.walkforward import walk_forward
from tests.engine.slow_models import LoggedHar
from tests.signals.frames import sp500

if __name__ == "__main__":
    if os.environ.get("TRADECAST_STACKS"):  # SIGUSR1 writes every thread's stack there (a test's diagnosis)
        faulthandler.register(signal.SIGUSR1, file=open(os.environ["TRADECAST_STACKS"], "w"), all_threads=True)  # noqa: SIM115
    run_dir, out = sys.argv[1], sys.argv[2]
    n_jobs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    delay = float(sys.argv[4]) if len(sys.argv) > 4 else 0.25
    frame = sp500()
    result = walk_forward(
        frame,
        {"slow": LoggedHar(delay=delay)},
        WalkForward(start="2008-01-01", refit_every=63),
        run_dir=run_dir,
        n_jobs=n_jobs,
    )
    result.forecasts.to_parquet(out)
