"""Two runs side by side: what differs in their configs, forecast losses and
strategy Sharpe ratios, each pair on the dates both runs have (``tradecast compare``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from core.atomic import CorruptFileError, read_parquet_checked
from core.errors import ConfigError
from core.evaluation.losses import Loss, scoring_mask
from core.evaluation.losses import loss as loss_fn
from core.evaluation.performance import sharpe_ratio
from engine.config import load_config
from engine.results import StoredResultsError, load_results
from engine.store import flatten

__all__ = ["compare_runs"]


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
    a, b = Path(a), Path(b)
    for d in (a, b):
        if not (d / "config.toml").exists():
            raise FileNotFoundError(
                f"{d} is not a tradecast run folder (no config.toml). Hint: tradecast list shows the runs."
            )
    return _config_diff(a, b), _forecast_diff(a, b), _strategy_diff(a, b)


def _config_of(d: Path) -> dict:
    try:
        return flatten(tomllib.loads((d / "config.toml").read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{d / 'config.toml'} is damaged ({exc}): the run cannot be compared. Hint: restore it from the run "
            "that made it, or run that config again."
        ) from None


def _config_diff(a: Path, b: Path) -> pd.DataFrame:
    """One row per config key whose value differs between the runs (or exists in one only)."""
    ca, cb = _config_of(a), _config_of(b)
    return pd.DataFrame(
        [
            {"key": k, a.name: ca.get(k, "(absent)"), b.name: cb.get(k, "(absent)")}
            for k in sorted(set(ca) | set(cb))
            if ca.get(k, "(absent)") != cb.get(k, "(absent)")
        ],
        columns=["key", a.name, b.name],
    ).set_index("key")


def _forecast_diff(a: Path, b: Path) -> pd.DataFrame:
    """Each (symbol, model) of both runs with the same target and horizon: its main loss in
    each run on the dates both can be scored, and the difference.
    """
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
            rows[(sym, model)] = {"loss": name, **_span(both.index), a.name: la, b.name: lb, "difference": lb - la}
    return _keyed(rows, ["loss", "from", "to", "n", a.name, b.name, "difference"], ["symbol", "model"])


def _returns_of(d: Path) -> pd.DataFrame:
    path = d / "returns.parquet"
    if not path.exists():
        return pd.DataFrame()  # a run without a variance or return model trades nothing
    try:
        return read_parquet_checked(path)[0]
    except CorruptFileError as exc:
        raise StoredResultsError(f"{path} is damaged ({exc}). Hint: run {d} again.") from None


def _strategy_diff(a: Path, b: Path) -> pd.DataFrame:
    """Each (symbol, strategy) of both runs: its annualised Sharpe ratio in each run on the
    days both have, and the difference.
    """
    sa, sb = _returns_of(a), _returns_of(b)
    rows = {}
    for col in [c for c in sa.columns if c in sb.columns]:
        both = pd.concat([sa[col], sb[col]], axis=1, keys=["a", "b"]).dropna()
        if len(both) < 2:
            continue
        sr = sharpe_ratio(both.to_numpy())
        sym, _, strat = col.partition("/")
        rows[(sym, strat)] = {
            **_span(both.index),
            a.name: float(sr[0]),
            b.name: float(sr[1]),
            "difference": float(sr[1] - sr[0]),
        }
    return _keyed(rows, ["from", "to", "n", a.name, b.name, "difference"], ["symbol", "strategy"])


def _span(index: pd.DatetimeIndex) -> dict:
    return {"from": str(index[0].date()), "to": str(index[-1].date()), "n": len(index)}


def _keyed(rows: dict, columns: list[str], names: list[str]) -> pd.DataFrame:
    """Rows by (symbol, name) as a table with a two-level index."""
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    if len(table):
        table.index = pd.MultiIndex.from_tuples(table.index, names=names)
    return table
