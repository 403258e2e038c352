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
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd

from core.atomic import write_bytes_atomic
from core.errors import ConfigError

__all__ = [
    "compare_runs",
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


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):  # an inline table: a hybrid's net = { cell = "gru", ... }
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    """A bare TOML key where the name allows one, else a quoted key (symbols such as ``BRK-B.L`` or ``^GSPC``)."""
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text for plain config data: scalars, lists, tables (nested ones as
    ``[a.b]``) and arrays of tables.
    """

    def table(name: str, items: dict[str, Any]) -> list[str]:
        lines = ["", f"[{name}]"] + [
            f"{_toml_key(k)} = {_toml_value(v)}" for k, v in items.items() if not isinstance(v, dict)
        ]
        for k, v in items.items():
            if isinstance(v, dict):
                lines += table(f"{name}.{_toml_key(k)}", v)
        return lines

    lines = [
        f"{k} = {_toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))
    ]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += table(k, v)
    for k, v in data.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines += ["", f"[[{k}]]"] + [f"{kk} = {_toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"


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


def compare_runs(a: str | Path, b: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What differs between two runs: config keys, forecast losses and strategy
    Sharpe ratios, each pair measured on the dates both runs have.

    A loss or a Sharpe ratio over different periods compares the periods, not the
    runs: every number here is recomputed from the runs' stored results on their
    common dates (the span is in the tables), and a model whose target kind or
    horizon differs between the runs is not compared at all.

    Returns
    -------
    (config_diff, forecasts, strategies)
        ``config_diff``: one row per key whose value differs (or exists in one
        run only). ``forecasts``: one row per (symbol, model) in both runs, with
        the common ``from``/``to``/``n`` and the main loss (QLIKE for variance,
        MSE otherwise) of each run on those dates and the difference.
        ``strategies``: one row per (symbol, strategy) in both runs, with the
        annualised Sharpe ratio of each run on their common days and the
        difference.

    Raises
    ------
    FileNotFoundError
        One of the folders is not a run folder.
    engine.results.StoredResultsError
        A run lacks stored results (older tradecast, or unfinished).
    """
    import tomllib

    from engine.config import load_config
    from engine.results import load_results
    from signals.losses import Loss, scoring_mask
    from signals.losses import loss as loss_fn
    from strategies.performance import sharpe_ratio

    a, b = Path(a), Path(b)
    for d in (a, b):
        if not (d / "config.toml").exists():
            raise FileNotFoundError(
                f"{d} is not a tradecast run folder (no config.toml). Hint: tradecast list shows the runs."
            )

    def config_of(d: Path) -> dict:
        try:
            return flatten(tomllib.loads((d / "config.toml").read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{d / 'config.toml'} is damaged ({exc}): the run cannot be compared. Hint: restore it from the run "
                "that made it, or run that config again."
            ) from None

    ca, cb = config_of(a), config_of(b)
    keys = sorted(set(ca) | set(cb))
    diff = pd.DataFrame(
        [
            {"key": k, a.name: ca.get(k, "(absent)"), b.name: cb.get(k, "(absent)")}
            for k in keys
            if ca.get(k, "(absent)") != cb.get(k, "(absent)")
        ],
        columns=["key", a.name, b.name],
    ).set_index("key")

    ra, rb = (load_results(d, load_config(d / "config.toml"))[1] for d in (a, b))
    rows = {}
    for sym in [s for s in ra.symbols if s in rb.symbols]:
        for model in [m for m in ra.models if m in rb.models]:
            ma, mb = ra.models[model], rb.models[model]
            if (ma.target, ma.horizon) != (mb.target, mb.horizon):
                continue
            ya, yb = ra.realized(model, sym), rb.realized(model, sym)
            fa, fb = ra.for_symbol(sym)[model], rb.for_symbol(sym)[model]
            both = pd.concat([fa, ya, fb, yb], axis=1, keys=["fa", "ya", "fb", "yb"])
            name: Loss = "qlike" if ma.target == "variance" else "mse"
            both = both[scoring_mask(both["ya"], both["fa"], name) & scoring_mask(both["yb"], both["fb"], name)]
            if both.empty:
                continue
            la = loss_fn(name, both["ya"].to_numpy(), both["fa"].to_numpy())
            lb = loss_fn(name, both["yb"].to_numpy(), both["fb"].to_numpy())
            rows[(sym, model)] = {
                "loss": name,
                "from": str(both.index[0].date()),
                "to": str(both.index[-1].date()),
                "n": len(both),
                a.name: la,
                b.name: lb,
                "difference": lb - la,
            }
    forecasts = pd.DataFrame.from_dict(
        rows, orient="index", columns=["loss", "from", "to", "n", a.name, b.name, "difference"]
    )
    if len(forecasts):
        forecasts.index = pd.MultiIndex.from_tuples(forecasts.index, names=["symbol", "model"])

    def returns(d: Path) -> pd.DataFrame:
        from core.atomic import CorruptFileError, read_parquet_checked
        from engine.results import StoredResultsError

        path = d / "returns.parquet"
        if not path.exists():
            return pd.DataFrame()  # a run without a variance or return model trades nothing
        try:
            return read_parquet_checked(path)[0]
        except CorruptFileError as exc:
            raise StoredResultsError(f"{path} is damaged ({exc}). Hint: run {d} again.") from None

    sa, sb = returns(a), returns(b)
    srows = {}
    for col in [c for c in sa.columns if c in sb.columns]:
        both = pd.concat([sa[col], sb[col]], axis=1, keys=["a", "b"]).dropna()
        if len(both) < 2:
            continue
        sr = sharpe_ratio(both.to_numpy())
        sym, _, strat = col.partition("/")
        srows[(sym, strat)] = {
            "from": str(both.index[0].date()),
            "to": str(both.index[-1].date()),
            "n": len(both),
            a.name: float(sr[0]),
            b.name: float(sr[1]),
            "difference": float(sr[1] - sr[0]),
        }
    strategies = pd.DataFrame.from_dict(
        srows, orient="index", columns=["from", "to", "n", a.name, b.name, "difference"]
    )
    if len(strategies):
        strategies.index = pd.MultiIndex.from_tuples(strategies.index, names=["symbol", "strategy"])
    return diff, forecasts, strategies
