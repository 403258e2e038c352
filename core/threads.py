"""Thread settings for numeric work, decided in one place.

Small recurrent networks on the CPU are latency-bound: two processes each
training an LSTM with torch's default threads ran 30 times slower than with one
thread each. Every worker process (the engine's executors, pytest-xdist workers)
calls :func:`configure_threads` once at start-up.

A task that runs alone may use more than one core (a pooled network's warm
refits: one fold after another, nothing beside them). The walk-forward lends
it cores with :func:`task_cores`; the training loop reads
:func:`available_cores` and runs the shards of a large minibatch in that many
threads. Torch stays at one thread per thread: the shards are fixed by the
minibatch's size alone, so the numbers are the same whatever the cores.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from collections.abc import Iterator

from core.checks import check_int

__all__ = ["WORKER_THREADS", "available_cores", "configure_threads", "task_cores"]

#: Threads per worker process for torch and the BLAS/OpenMP pools.
WORKER_THREADS = 1


def configure_threads(n: int = WORKER_THREADS) -> None:
    """Pin torch and the BLAS/OpenMP pools to ``n`` threads, in this process.

    Besides speed, this makes results reproducible across executors: a BLAS
    with another thread count sums in another order, and an optimiser (GARCH's
    SLSQP) then drifts in the sixth digit between a worker and the main process.

    Cheap to call again: when nothing was imported since the last call with the
    same ``n`` (no new native thread pool can have been loaded), it returns at
    once. Scanning the loaded libraries costs milliseconds, which a walk-forward
    of thousands of daily refits would pay per fold.
    """
    state = (n, len(sys.modules))
    if _CONFIGURED.get("state") == state:
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)  # pools already loaded (numpy's BLAS) ignore the variables
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency, but threads matter without it too
        return
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    _CONFIGURED["state"] = (n, len(sys.modules))


#: The (threads, number of imported modules) of the last configuration in this process.
_CONFIGURED: dict[str, tuple[int, int]] = {}


_CORES: contextvars.ContextVar[int] = contextvars.ContextVar("tradecast_task_cores", default=1)


@contextlib.contextmanager
def task_cores(n: int) -> Iterator[None]:
    """Lend the code inside ``n`` cores (the walk-forward does, for a task that runs alone).

    Only how work is spread changes: code that reads :func:`available_cores`
    must give the same numbers for any ``n``.
    """
    check_int("task_cores", "n", n, 1)
    token = _CORES.set(n)
    try:
        yield
    finally:
        _CORES.reset(token)


def available_cores() -> int:
    """Cores lent to the current task (:func:`task_cores`); 1 outside one."""
    return _CORES.get()
