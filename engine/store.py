"""The run store: one folder per run, everything needed to read, compare or resume it.

Layout of ``runs/<name>-<timestamp>/``::

    config.toml        the resolved configuration (run it again with tradecast run config.toml)
    manifest.json      status, package versions, data hash, git commit, seeds, timings
    folds/             each finished walk-forward fold, written atomically (resume reads them)
    forecasts.parquet  out-of-sample forecasts by (symbol, date), one column per model
    weights.parquet    weights held by each strategy, returns.parquet their daily returns
    metrics.json       the loss leaderboard and the strategy table
    report.html        the report

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

from engine.atomic import write_bytes_atomic

__all__ = ["new_run_dir", "to_toml", "write_json", "read_json", "write_manifest", "list_runs", "compare_runs", "flatten"]


def new_run_dir(name: str, root: str | Path = "runs") -> Path:
    """``root/<name>-<YYYYmmdd-HHMMSS>``, unique (a suffix is added on a clash)."""
    base = Path(root) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, k = base, 1
    while path.exists():
        path, k = Path(f"{base}-{k}"), k + 1
    path.mkdir(parents=True)
    return path


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def to_toml(data: dict[str, Any]) -> str:
    """TOML text for plain config data: scalars, lists, tables and arrays of tables."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{k}]"] + [f"{kk} = {_toml_value(vv)}" for kk, vv in v.items()]
    for k, v in data.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines += ["", f"[[{k}]]"] + [f"{kk} = {_toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write (NaN becomes null)."""
    write_bytes_atomic(path, (json.dumps(_clean(data), indent=2, default=str) + "\n").encode("utf-8"))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _clean(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, float) and x != x:
        return None
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


def list_runs(root: str | Path = "runs") -> pd.DataFrame:
    """One row per run folder under ``root``: name, status, started, models, best model."""
    rows = []
    for d in sorted(Path(root).glob("*/manifest.json")):
        m = read_json(d)
        best = ""
        metrics = d.parent / "metrics.json"
        if metrics.exists():
            board = read_json(metrics).get("leaderboard", [])
            scored = [r for r in board if r.get("qlike") is not None]
            if scored:
                top = min(scored, key=lambda r: r["qlike"])
                best = f"{top['model']} ({top['qlike']:.4g})"
        rows.append({"run": d.parent.name, "status": m.get("status", "?"), "started": m.get("started", ""),
                     "models": len(m.get("models", [])), "best qlike": best, "path": str(d.parent)})
    return pd.DataFrame(rows, columns=["run", "status", "started", "models", "best qlike", "path"])


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


def compare_runs(a: str | Path, b: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What differs between two runs: config keys, and the loss leaderboard side by side.

    Returns
    -------
    (config_diff, metrics): ``config_diff`` has one row per key whose value
    differs (or exists in one run only); ``metrics`` one row per (symbol, model)
    with QLIKE in each run and the difference.
    """
    import tomllib

    a, b = Path(a), Path(b)
    for d in (a, b):
        if not (d / "config.toml").exists():
            raise FileNotFoundError(f"{d} is not a tradecast run folder (no config.toml). Hint: tradecast list shows the runs.")
    ca, cb = (flatten(tomllib.loads((d / "config.toml").read_text())) for d in (a, b))
    keys = sorted(set(ca) | set(cb))
    diff = pd.DataFrame(
        [{"key": k, a.name: ca.get(k, "(absent)"), b.name: cb.get(k, "(absent)")} for k in keys if ca.get(k, "(absent)") != cb.get(k, "(absent)")],
        columns=["key", a.name, b.name],
    ).set_index("key")

    def board(d: Path) -> pd.Series:
        if not (d / "metrics.json").exists():
            return pd.Series(dtype=float)
        rows = read_json(d / "metrics.json").get("leaderboard", [])
        return pd.Series({(r["symbol"], r["model"]): r.get("qlike") for r in rows}, dtype=float)

    qa, qb = board(a), board(b)
    metrics = pd.DataFrame({f"qlike {a.name}": qa, f"qlike {b.name}": qb})
    if len(metrics):
        metrics.index = pd.MultiIndex.from_tuples(metrics.index, names=["symbol", "model"])
        metrics["difference"] = metrics.iloc[:, 1] - metrics.iloc[:, 0]
    return diff, metrics
