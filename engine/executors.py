"""Where walk-forward tasks run: in this process, in a local process pool, or on Ray.

All three expose the same small interface (``submit``, ``wait``, ``result``,
``close``) so that the loop in :mod:`engine.walkforward` schedules work the
same way everywhere, and gives the same output whatever runs it. Every worker
pins its numeric libraries to one thread (:func:`signals.threads.configure_threads`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any, Literal

from signals.checks import check_choice, check_int
from signals.threads import configure_threads

__all__ = ["Executor", "make_executor", "SerialExecutor", "ProcessExecutor", "RayExecutor"]

Executor = Literal["process", "ray"]


class _Deferred:
    """A task that a SerialExecutor runs when it is waited for."""

    __slots__ = ("fn", "arg", "outcome")

    def __init__(self, fn: Callable, arg: Any) -> None:
        self.fn, self.arg, self.outcome = fn, arg, None


class SerialExecutor:
    """Runs tasks one at a time in this process, each when it is waited for
    (so that progress is reported as each finishes)."""

    def __init__(self) -> None:
        configure_threads()

    def submit(self, fn: Callable, arg: Any) -> _Deferred:
        return _Deferred(fn, arg)

    def wait(self, handles: Iterable[_Deferred]) -> tuple[list, list]:
        first, *rest = handles
        try:
            first.outcome = (True, first.fn(first.arg))
        except BaseException as exc:  # delivered by result(), like a pool would
            first.outcome = (False, exc)
        return [first], rest

    def result(self, handle: _Deferred) -> Any:
        ok, value = handle.outcome
        if not ok:
            raise value
        return value

    def close(self) -> None:
        pass


class ProcessExecutor:
    """A local pool of ``n_jobs`` spawned processes (spawn: safe with torch's threads)."""

    def __init__(self, n_jobs: int) -> None:
        self._pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn"), initializer=configure_threads)

    def submit(self, fn: Callable, arg: Any) -> Future:
        return self._pool.submit(fn, arg)

    def wait(self, handles: Iterable[Future]) -> tuple[list, list]:
        done, pending = futures_wait(list(handles), return_when=FIRST_COMPLETED)
        return list(done), list(pending)

    def result(self, handle: Future) -> Any:
        return handle.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    """Tasks on a Ray cluster: the one ``ray.init`` found, or a local one with ``n_jobs`` CPUs.

    Install with ``pip install tradecast[ray]``. Each task asks for one CPU.
    """

    def __init__(self, n_jobs: int, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ImportError("executor='ray' needs Ray: pip install 'tradecast[ray]'.") from exc
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            ray.init(address=address, num_cpus=None if address else n_jobs, include_dashboard=False, log_to_driver=False, configure_logging=False)
            self._started = True
        self._remote = {}

    def submit(self, fn: Callable, arg: Any):
        if fn not in self._remote:
            self._remote[fn] = self._ray.remote(num_cpus=1)(_threaded(fn))
        return self._remote[fn].remote(arg)

    def wait(self, handles: Iterable[Any]) -> tuple[list, list]:
        done, pending = self._ray.wait(list(handles), num_returns=1)
        return list(done), list(pending)

    def result(self, handle: Any) -> Any:
        return self._ray.get(handle)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()


def _threaded(fn: Callable) -> Callable:
    """Ray workers have no initializer hook: pin threads inside each task."""

    def run(arg: Any) -> Any:
        configure_threads()
        return fn(arg)

    run.__name__ = getattr(fn, "__name__", "task")
    return run


def make_executor(n_jobs: int = 1, executor: Executor = "process", address: str | None = None):
    """The executor for ``n_jobs`` workers: serial for one process-pool job."""
    check_int("walk_forward", "n_jobs", n_jobs, 1)
    check_choice("walk_forward", "executor", executor, ("process", "ray"))
    if executor == "ray":
        return RayExecutor(n_jobs, address)
    return SerialExecutor() if n_jobs == 1 else ProcessExecutor(n_jobs)
