"""Where walk-forward tasks run: in this process, in a local process pool, or on Ray.

All three expose the same small interface (``submit``, ``wait``, ``result``,
``close``) so that the loop in :mod:`engine.walkforward` schedules work the
same way everywhere, and gives the same output whatever runs it. Every worker
pins its numeric libraries to one thread (:func:`core.threads.configure_threads`);
a task submitted with ``cores > 1`` (one that runs alone) is lent that many
cores (:func:`core.threads.task_cores`), wherever it runs.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal, Protocol

from typing_extensions import override

from core.checks import check_choice, check_int
from core.errors import TradecastError
from core.threads import configure_threads, task_cores

__all__ = [
    "WORKER_MODULES",
    "Executor",
    "ProcessExecutor",
    "RayConnectError",
    "RayExecutor",
    "SerialExecutor",
    "TaskExecutor",
    "WorkerDied",
    "make_executor",
    "pool_context",
]

Executor = Literal["process", "ray"]


class TaskExecutor(Protocol):
    """What the walk-forward loop needs of a place that runs tasks."""

    #: How many tasks run at once: the cores the loop may lend a task that runs alone.
    slots: int

    def submit(self, fn: Callable, arg: Any, cores: int = 1) -> Any:
        """Start ``fn(arg)`` (or queue it), lent ``cores`` cores, and return a handle to wait on."""
        ...

    def wait(self, handles: Iterable[Any]) -> tuple[list, list]:
        """Block until at least one of ``handles`` is done; return ``(done, pending)``."""
        ...

    def result(self, handle: Any) -> Any:
        """The finished task's return value, or its error raised here."""
        ...

    def close(self) -> None:
        """Release workers and connections; idempotent."""
        ...

    def abort(self) -> None:
        """Stop now (Ctrl-C, an error): what runs is abandoned, workers are stopped; idempotent."""
        ...


class WorkerDied(TradecastError, RuntimeError):
    """A worker process ended abruptly: not a task's own error, which is raised as it is."""


class _Deferred:
    """A task that a SerialExecutor runs when it is waited for."""

    __slots__ = ("arg", "cores", "fn", "outcome")

    def __init__(self, fn: Callable, arg: Any, cores: int) -> None:
        self.fn, self.arg, self.cores = fn, arg, cores
        #: (True, value) or (False, error) once the task has run; None before.
        self.outcome: tuple[bool, Any] | None = None

    def run(self) -> None:
        """Run here; an error is kept for ``result()``, as a pool would deliver it (Ctrl-C goes straight up)."""
        try:
            self.outcome = (True, _lent(self.fn, self.cores, self.arg))
        except Exception as exc:
            self.outcome = (False, exc)

    def settled(self) -> tuple[bool, Any]:
        """The outcome; asking before the task has run is a scheduling bug."""
        if self.outcome is None:
            raise RuntimeError(f"task {self.fn.__name__} was asked for its result before it ran")
        return self.outcome

    def value(self) -> Any:
        """The task's return value, or its error raised."""
        ok, value = self.settled()
        if not ok:
            raise value
        return value


class SerialExecutor(TaskExecutor):
    """Runs tasks one at a time in this process, each when it is waited for
    (so that progress is reported as each finishes).
    """

    slots = 1

    def __init__(self) -> None:
        configure_threads()

    @override
    def submit(self, fn: Callable, arg: Any, cores: int = 1) -> _Deferred:
        return _Deferred(fn, arg, cores)

    @override
    def wait(self, handles: Iterable[_Deferred]) -> tuple[list, list]:
        first, *rest = handles
        first.run()
        return [first], rest

    @override
    def result(self, handle: _Deferred) -> Any:
        return handle.value()

    @override
    def close(self) -> None:
        pass

    @override
    def abort(self) -> None:
        self.close()


class ProcessExecutor(TaskExecutor):
    """``n_jobs - 1`` worker processes plus this process.

    On Linux workers are forked from a fork server (:func:`pool_context`), which
    imported torch and the engine once: the first pool's workers wait for that
    (about 2 s), a later pool's start in milliseconds. Elsewhere they are spawned
    (about 2 s each, every pool). The main process would otherwise
    sit idle waiting; here it runs tasks too, and it starts at once. Tasks
    wait in a local queue in submission order (longest first); each worker is
    given the next one the moment it finishes its last, by a feeder thread,
    even while the main process is busy with a task of its own, and no task
    is committed to a worker before one is free (the main process may take it
    instead). That is greedy list scheduling: no process idles while work waits.
    """

    def __init__(self, n_jobs: int) -> None:
        configure_threads()
        self.slots = n_jobs
        self._workers = n_jobs - 1
        self._pool = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=pool_context(),
            initializer=_start_worker,
            initargs=(dict(os.environ),),
        )
        self._queue: list[_Deferred] = []
        self._in_pool: dict[_Deferred, Future] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._feeder = threading.Thread(target=self._feed_forever, name="tradecast-feeder", daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        with self._lock:
            running = sum(not f.done() for f in self._in_pool.values())
            while self._queue and running < self._workers and not self._closed:
                task = self._queue.pop(0)
                try:
                    fut = self._pool.submit(_lent, task.fn, task.cores, task.arg)
                except BrokenProcessPool as exc:  # a worker died: every task left fails with it
                    task.outcome = (False, exc)
                    continue
                fut.add_done_callback(lambda _: self._wake.set())
                self._in_pool[task] = fut
                running += 1

    def _feed_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            self._feed()

    def _take(self) -> _Deferred | None:
        with self._lock:
            return self._queue.pop(0) if self._queue else None

    @override
    def submit(self, fn: Callable, arg: Any, cores: int = 1) -> _Deferred:
        task = _Deferred(fn, arg, cores)
        with self._lock:
            self._queue.append(task)
        self._feed()
        return task

    @override
    def wait(self, handles: Iterable[_Deferred]) -> tuple[list, list]:
        handles = list(handles)
        while True:
            done = [h for h in handles if h.outcome is not None]
            with self._lock:
                for h, fut in list(self._in_pool.items()):
                    if fut.done():
                        del self._in_pool[h]
                        exc = fut.exception()
                        h.outcome = (True, fut.result()) if exc is None else (False, exc)
                        done.append(h)
                in_flight = list(self._in_pool.values())
            if done:
                return done, [h for h in handles if h not in done]
            task = self._take()
            if task is not None:  # the main process takes the next task itself
                task.run()
                continue
            futures_wait(in_flight, return_when=FIRST_COMPLETED)

    @override
    def result(self, handle: _Deferred) -> Any:
        _, value = handle.settled()
        if isinstance(value, BrokenProcessPool):
            raise WorkerDied(
                "walk_forward: a worker process ended abruptly. The usual cause is a script that calls "
                "walk_forward (or tradecast's run_job) with n_jobs > 1 at import time: each worker "
                "imports the main script again. Hint: put the script's work under "
                '`if __name__ == "__main__":`; otherwise the machine may have run out of memory (try fewer n_jobs).'
            ) from value
        return handle.value()

    @override
    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._queue.clear()
        self._wake.set()
        self._feeder.join()
        # The results are in; a worker takes about half a second to tear torch
        # down and exit, and nothing needs to wait for that.
        self._pool.shutdown(wait=False, cancel_futures=True)

    @override
    def abort(self) -> None:
        # Ctrl-C: a worker in the middle of a fit would finish it first (minutes, for a
        # network) and the interpreter waits for it at exit; its fold is lost anyway
        processes = list(getattr(self._pool, "_processes", {}).values())
        self.close()
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.join(timeout=5)
            if proc.is_alive():  # a worker that does not end on SIGTERM would keep the interpreter waiting
                proc.kill()
                proc.join(timeout=5)


class RayExecutor(TaskExecutor):
    """Tasks on Ray: the session this process already has, a running cluster at
    ``address`` (or ``$RAY_ADDRESS``), or else a new local one with ``n_jobs`` CPUs.

    Install with ``pip install tradecast[ray]``. Each task asks for one CPU. On a
    cluster, tradecast's packages travel to the workers in the job's runtime
    environment (``py_modules``), so the nodes need Ray and tradecast's
    dependencies but not this checkout; no resource arguments are passed (Ray
    refuses them when connecting). Without an address a *new* local cluster is
    started (``address="local"``), never a stale session left in ``/tmp/ray``.
    """

    def __init__(self, n_jobs: int, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ImportError("executor='ray' needs Ray: pip install 'tradecast[ray]'.") from exc
        self._ray = ray
        self._started = False
        address = address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            common: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if address:
                _check_reachable(address)
                try:
                    ray.init(address=address, runtime_env=_runtime_env(), **common)
                except Exception as exc:  # Ray raises many kinds here; the user needs one line and what to do
                    raise RayConnectError(
                        f"ray_address={address!r}: the connection to the Ray cluster failed ({type(exc).__name__}: "
                        f"{str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ''}). Hint: a head started "
                        "by Ray 2.60 asks for a token: set RAY_AUTH_MODE=token and the head's token (ray "
                        "get-auth-token on the head) in this shell; check that this Ray's version is the cluster's."
                    ) from None
            else:
                ray.init(address="local", num_cpus=n_jobs, **common)
            self._started = True
        # A task runs on one node: lend a lone task no more cores than the largest
        # node has, or Ray would wait forever for a node that big.
        cpus = [n.get("Resources", {}).get("CPU", 0.0) for n in ray.nodes() if n.get("Alive")]
        self.slots = max(1, min(n_jobs, int(max(cpus, default=1.0))))
        self._remote: dict[Callable, Any] = {}

    @override
    def submit(self, fn: Callable, arg: Any, cores: int = 1):
        if fn not in self._remote:
            self._remote[fn] = self._ray.remote(num_cpus=1)(_threaded(fn))
        remote = self._remote[fn] if cores == 1 else self._remote[fn].options(num_cpus=cores)
        return remote.remote(arg, cores)

    @override
    def wait(self, handles: Iterable[Any]) -> tuple[list, list]:
        done, pending = self._ray.wait(list(handles), num_returns=1)
        return list(done), list(pending)

    @override
    def result(self, handle: Any) -> Any:
        return self._ray.get(handle)

    @override
    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    @override
    def abort(self) -> None:
        self.close()


#: Seconds a Ray address may take to answer before the run stops with an error (Ray itself retries for minutes).
RAY_CONNECT_TIMEOUT = 10.0


class RayConnectError(TradecastError):
    """A Ray address that is malformed, does not answer, or refuses the connection."""


def _check_reachable(address: str, timeout: float = RAY_CONNECT_TIMEOUT) -> None:
    """``HOST:PORT`` (or ``ray://HOST:PORT``) answers a TCP connection within ``timeout``
    seconds; "auto" and "local" are Ray's own words and are left to it.
    """
    if address in ("auto", "local"):
        return
    bare = address.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RayConnectError(
            f"ray_address={address!r} is not an address: write HOST:PORT, such as 10.0.0.5:6379 (the head's GCS "
            "port), or ray://HOST:10001 for Ray Client."
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise RayConnectError(
            f"ray_address={address!r}: nothing answered within {timeout:g} s ({exc.strerror or exc}). Hint: start the "
            f"head (ray start --head --port={port}), check the address and the firewall, or leave ray_address out "
            "(and unset $RAY_ADDRESS) for a local cluster."
        ) from None


def _runtime_env() -> dict[str, Any]:
    """The packages of tradecast and one thread per worker, for the nodes of a Ray cluster."""
    import importlib

    packages = [importlib.import_module(name) for name in ("core", "engine", "signals", "strategies", "reports")]
    threads = {var: "1" for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return {"py_modules": packages, "env_vars": threads}


def _threaded(fn: Callable) -> Callable:
    """Ray workers have no initializer hook: pin threads inside each task."""

    def run(arg: Any, cores: int) -> Any:
        configure_threads()
        return _lent(fn, cores, arg)

    run.__name__ = getattr(fn, "__name__", "task")
    return run


def _lent(fn: Callable, cores: int, arg: Any) -> Any:
    """``fn(arg)`` with ``cores`` cores lent to it (:func:`core.threads.task_cores`)."""
    with task_cores(cores):
        return fn(arg)


#: What a local pool's workers run: imported once by the fork server, not by every worker.
WORKER_MODULES = ("torch", "engine.walkforward")


def pool_context() -> multiprocessing.context.BaseContext:
    """The start method of local pools: a fork server on Linux, spawn elsewhere.

    Spawn starts each worker as a fresh interpreter that imports torch and the engine
    again: about 2 s a worker, paid by every pool (a walk-forward, then the scoring,
    then each call in a notebook). The fork server imports :data:`WORKER_MODULES` once,
    in a process that runs nothing else (it trains no network and starts none of
    torch's threads, so forking it is safe where forking this process would not be),
    and forks each new worker from it. A worker still imports the main script again and gets this
    process's environment (:func:`_start_worker`), as with spawn. Elsewhere (macOS,
    Windows) forking a process that loaded the system's frameworks is not safe: spawn.
    """
    if sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(WORKER_MODULES))  # heeded when the server starts, once a process
        return ctx
    return multiprocessing.get_context("spawn")


def _start_worker(environ: dict[str, str]) -> None:
    """A worker's set-up: the pool owner's environment, one thread for torch and BLAS,
    and a watch on the owner, so that a worker whose owner was killed exits instead of
    living on as an orphan holding its memory.

    The environment is the owner's when the pool started (as spawn gives it): the fork
    server keeps the one it was started with, which a variable set since (a device, a
    log file) would otherwise not reach.
    """
    os.environ.clear()
    os.environ.update(environ)
    configure_threads()
    owner = multiprocessing.parent_process()  # the process that asked for the worker, not the fork server
    if owner is not None:
        threading.Thread(target=_exit_with, args=(owner,), name="tradecast-parent-watch", daemon=True).start()


def _exit_with(owner: multiprocessing.process.BaseProcess) -> None:
    owner.join()  # returns when the owner's end of the pipe closes: it exited or was killed
    os._exit(1)


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def make_executor(n_jobs: int = 1, executor: Executor = "process", address: str | None = None):
    """The executor for ``n_jobs`` workers: serial for one process-pool job.

    A process pool larger than the machine's cores only makes the small networks
    fight over them (each pinned to one thread): ``n_jobs`` above
    :func:`usable_cores` is capped to it, with a warning.
    """
    check_int("walk_forward", "n_jobs", n_jobs, 1)
    check_choice("walk_forward", "executor", executor, ("process", "ray"))
    if executor == "ray":
        return RayExecutor(n_jobs, address)
    cores = usable_cores()
    if n_jobs > cores:
        warnings.warn(
            f"walk_forward: n_jobs={n_jobs} is more than the {cores} CPU cores here; using {cores}. "
            f"Hint: n_jobs = {cores} (more processes only compete for the same cores).",
            UserWarning,
            stacklevel=3,
        )
        n_jobs = cores
    return SerialExecutor() if n_jobs == 1 else ProcessExecutor(n_jobs)
