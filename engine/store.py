"""The run store: one folder per run, everything needed to read, compare or resume it.

Layout of ``runs/<name>-<timestamp>/``::

    config.toml        the resolved configuration (run it again with tradecast run config.toml)
    manifest.json      status, package versions, data hash, git commit, seeds, timings
    folds/             each finished walk-forward fold, written atomically (resume reads them)
    forecasts.parquet  out-of-sample forecasts by (symbol, date), one column per model
    weights.parquet    weights held by each strategy, returns.parquet their daily returns
    metrics.json       the loss leaderboard and the strategy table
    report.html        the report
    tearsheets/        the report's quantstats tear sheets, kept by a digest of their returns so that
                       tradecast report re-renders without drawing them again

The manifest is written first with ``status: "running"`` and last with
``"complete"``; an interrupted run says ``"interrupted"`` (Ctrl-C) or stays
``"running"`` (killed), and ``tradecast run --resume DIR`` finishes it, reading
the finished folds instead of fitting them again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from core.atomic import write_bytes_atomic
from core.errors import ConfigError
from core.tomlwriter import to_toml

__all__ = [
    "flatten",
    "jsonable",
    "list_runs",
    "new_run_dir",
    "read_json",
    "to_toml",
    "write_json",
    "write_manifest",
]


def new_run_dir(name: str, root: str | Path = "runs") -> Path:
    """``root/<name>-<YYYYmmdd-HHMMSS>``, unique (a suffix is added on a clash).

    The folder is taken by creating it (an atomic step): of two runs started in the
    same second, each gets a folder of its own.
    """
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--root {root} is a file, not a folder. Hint: another --root, such as runs.")
    root.mkdir(parents=True, exist_ok=True)
    base = root / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(10_000):
        path = base if k == 0 else Path(f"{base}-{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise ConfigError(f"{base}: ten thousand runs of this name started this second. Hint: another --root.")


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write (NaN becomes null)."""
    write_bytes_atomic(path, (json.dumps(_clean(data), indent=2, default=str) + "\n").encode("utf-8"))


def read_json(path: Path) -> Any:
    """A UTF-8 JSON file's content."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def jsonable(x: Any) -> Any:
    """Plain JSON data from nested dicts, lists, NumPy scalars and timestamps (NaN becomes None)."""
    return _clean(x)


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, pd.Timestamp):
        return x.isoformat()
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        try:
            return _clean(x.item())
        except (ValueError, AttributeError):
            return str(x)
    return x


def write_manifest(run_dir: Path, **fields: Any) -> dict:
    """Update ``manifest.json`` with ``fields`` (created when missing)."""
    path = Path(run_dir) / "manifest.json"
    manifest = read_json(path) if path.exists() else {}
    manifest.update(fields)
    write_json(path, manifest)
    return manifest


def _best(board: list[dict]) -> str:
    """The best variance model by QLIKE per symbol, among the 1-day models (one
    group: losses of other horizons or assets are not comparable).
    """
    by_symbol: dict[str, list[dict]] = {}
    for r in board:
        if r.get("qlike") is not None and r.get("target", "variance") == "variance" and r.get("horizon", 1) == 1:
            by_symbol.setdefault(str(r.get("symbol")), []).append(r)
    parts = []
    for sym, rows in by_symbol.items():
        top = min(rows, key=lambda r: r["qlike"])
        parts.append(
            f"{sym}: {top['model']} ({top['qlike']:.4g})"
            if len(by_symbol) > 1
            else f"{top['model']} ({top['qlike']:.4g})"
        )
    if len(parts) > 3:
        parts = parts[:3] + [f"... {len(by_symbol) - 3} more"]
    return "; ".join(parts)


def _status(manifest: dict) -> str:
    """A run's status; "running" is checked against its process: a run whose process
    is gone from this host was killed (SIGKILL, a power cut) and is listed so.
    """
    import socket

    from core.locks import process_alive

    status = str(manifest.get("status", "?"))
    if status != "running" or "pid" not in manifest:
        return status
    host = manifest.get("host")
    if host != socket.gethostname():
        return f"running on {host}"
    return "running" if process_alive(int(manifest["pid"])) else "killed (resume with tradecast run --resume)"


def list_runs(root: str | Path = "runs") -> pd.DataFrame:
    """One row per run folder under ``root``, newest first: name, status, started,
    models, and the best 1-day variance model by QLIKE of each symbol.

    A folder whose manifest or metrics cannot be read is listed as "unreadable"
    with the reason, not skipped and not fatal; a failed run shows its error.
    """
    rows = []
    for d in Path(root).glob("*/manifest.json"):
        row = {"run": d.parent.name, "status": "?", "started": "", "models": 0, "best qlike": "", "path": str(d.parent)}
        try:
            m = read_json(d)
            if not isinstance(m, dict):
                raise ValueError("the manifest is not a JSON object")
            row.update(
                status=_status(m),
                started=str(m.get("started", "")),
                models=len(m.get("models", []) or []),
            )
            if m.get("status") == "failed" and m.get("error"):
                row["best qlike"] = f"error: {str(m['error'])[:80]}"
            metrics = d.parent / "metrics.json"
            if metrics.exists():
                row["best qlike"] = _best(read_json(metrics).get("leaderboard", []))
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
            row.update(status="unreadable", **{"best qlike": f"{type(exc).__name__}: {str(exc)[:60]}"})
        rows.append(row)
    out = pd.DataFrame(rows, columns=["run", "status", "started", "models", "best qlike", "path"])
    return out.sort_values(["started", "run"], ascending=False, kind="stable").reset_index(drop=True)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` to ``{"a.b": 1}``; lists of tables are keyed by their ``name``."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(data, list) and data and all(isinstance(x, dict) and "name" in x for x in data):
        for x in data:
            out.update(flatten({k: v for k, v in x.items() if k != "name"}, f"{prefix}{x['name']}."))
    else:
        out[prefix[:-1]] = data
    return out
