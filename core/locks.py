"""One writer per folder: a lock file taken with an atomic create.

A run folder is written by one process at a time. :func:`hold` creates
``<folder>/.lock`` with ``O_CREAT | O_EXCL`` (the operating system lets exactly
one of two racing processes create it), holding the process id, host and start
time; a second run into the same folder is refused with who holds it. A lock
left by a process that no longer runs on this host (a run killed with SIGKILL)
is stale: it is taken over, atomically, by renaming it away first.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from core.errors import TradecastError

__all__ = ["LOCK_NAME", "FolderInUse", "hold", "holder", "holder_of", "process_alive"]

LOCK_NAME = ".lock"


class FolderInUse(TradecastError):
    """Another live process holds the folder's lock."""


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def holder(folder: str | os.PathLike) -> dict | None:
    """Who holds ``folder``'s lock (pid, host, started), or None when nobody does or it
    cannot be read (a lock being written at this very moment reads as held by "?").
    """
    return holder_of(Path(folder) / LOCK_NAME)


def holder_of(path: Path) -> dict | None:
    """What a lock file says (see :func:`holder`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"pid": -1, "host": "?", "started": "?"}
    return data if isinstance(data, dict) else {"pid": -1, "host": "?", "started": "?"}


def _stale(info: dict) -> bool:
    return info.get("host") == socket.gethostname() and not process_alive(int(info.get("pid", -1)))


@contextlib.contextmanager
def hold(folder: str | os.PathLike, what: str = "run") -> Iterator[dict]:
    """Hold ``folder``'s lock while the body runs; yields what the lock says.

    Raises
    ------
    FolderInUse
        Another live process holds it (the message names its pid, host and start).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            info = holder(folder) or {}
            if info.get("host") == "?":
                time.sleep(0.05)  # being written by its taker: read it again
                info = holder(folder) or {}
            if info and not _stale(info):
                raise FolderInUse(
                    f"{folder} is in use by another {what} (process {info.get('pid')} on {info.get('host')}, since "
                    f"{info.get('started')}); two runs writing one folder would mix their results. Hint: wait for it "
                    "to finish, or use another folder."
                ) from None
            # a stale lock (its process is gone): rename it away, which only one taker can do, then retry
            moved = folder / f"{LOCK_NAME}.stale-{os.getpid()}"
            try:
                os.replace(path, moved)
            except FileNotFoundError:
                continue
            taken = holder_of(moved)
            if taken and not _stale(taken):
                # another taker's fresh lock was moved in the meantime: put it back, and yield to it
                with contextlib.suppress(FileExistsError):
                    os.link(moved, path)
                moved.unlink(missing_ok=True)
                raise FolderInUse(
                    f"{folder} is in use by another {what} (process {taken.get('pid')} on {taken.get('host')}). "
                    "Hint: wait for it to finish, or use another folder."
                ) from None
            moved.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    else:
        raise FolderInUse(f"{folder}: could not take its lock after three tries. Hint: try again.")
    try:
        yield me
    finally:
        if (holder(folder) or {}).get("pid") == me["pid"]:
            path.unlink(missing_ok=True)
