"""Config overrides from the command line: ``tradecast run CONFIG --set KEY=VALUE``.

An override is a dotted key into the config's tables and a TOML value:

* ``walkforward.start=2012-01-01``, ``strategy.target_vol=0.15``,
  ``strategy.portfolio.schemes=["inverse_vol"]``, ``name=my_run``;
* ``forecasters.NAME.KEY=VALUE`` for one ``[[forecasters]]`` table, found by its
  ``name`` (``forecasters.gru.hidden=[64]``), and ``combinations.NAME.KEY``
  likewise.

The value is read as TOML (``0.15``, ``true``, ``[32, 16]``, ``"text"``); what
is not valid TOML is taken as a string (``2012-01-01`` and ``csv:data.csv``
work unquoted; a TOML date becomes its ISO text, which is how the config reads
dates). Overrides are applied to the parsed mapping before it is checked, so an
unknown key or a wrong type is refused exactly as in a file, and the run's
``config.toml`` records the values that ran.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import tomllib
from collections.abc import Sequence
from typing import Any

from core.errors import ConfigError

__all__ = ["apply_overrides", "parse_override"]

#: Array-of-tables sections whose entries an override finds by their ``name``.
_NAMED = ("forecasters", "combinations")


def _value(text: str) -> Any:
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    return value


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """``"walkforward.start=2012-01-01"`` as ``(("walkforward", "start"), "2012-01-01")``.

    Raises
    ------
    ConfigError
        Without ``=``, with an empty key or an empty part of a dotted key.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    parts = tuple(p.strip() for p in key.split("."))
    if not sep or not key or not all(parts):
        raise ConfigError(
            f"--set {text!r}: an override is KEY=VALUE with a dotted KEY. "
            "Hint: --set walkforward.start=2012-01-01, --set strategy.target_vol=0.15, "
            "--set forecasters.gru.hidden=[64]."
        )
    return parts, _value(raw.strip())


def _named_table(tables: Any, section: str, name: str, text: str) -> dict[str, Any]:
    if not isinstance(tables, list):
        tables = []
    names = [t.get("name") for t in tables if isinstance(t, dict)]
    for table in tables:
        if isinstance(table, dict) and table.get("name") == name:
            return table
    close = difflib.get_close_matches(name, [n for n in names if isinstance(n, str)], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(
        f"--set {text!r}: this config has no [[{section}]] table named {name!r}; it has "
        f"{', '.join(map(repr, names)) or 'none'}.{hint} Hint: --set {section}.NAME.KEY=VALUE with NAME one of them."
    )


def apply_overrides(mapping: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A copy of a parsed config mapping with each ``KEY=VALUE`` override applied in order.

    Parameters
    ----------
    mapping : dict
        A config as parsed from TOML (or :func:`engine.config.to_dict` of one).
    overrides : sequence of str
        ``KEY=VALUE`` texts (see the module docstring).

    Raises
    ------
    ConfigError
        A malformed override, a ``forecasters.NAME`` that names no table, or a
        key that descends into a value that is not a table.
    """
    out = copy.deepcopy(mapping)
    for text in overrides:
        parts, value = parse_override(text)
        node: Any = out
        i = 0
        if parts[0] in _NAMED:
            if len(parts) < 3:
                raise ConfigError(
                    f"--set {text!r}: a [[{parts[0]}]] table is chosen by its name. "
                    f"Hint: --set {parts[0]}.NAME.KEY=VALUE, e.g. --set forecasters.gru.epochs=50."
                )
            node = _named_table(out.get(parts[0]), parts[0], parts[1], text)
            i = 2
        for depth in range(i, len(parts) - 1):
            child = node.setdefault(parts[depth], {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"--set {text!r}: {where} is a value ({child!r}), not a table, so it has no key {parts[-1]!r}. "
                    f"Hint: --set {where}=VALUE."
                )
            node = child
        node[parts[-1]] = value
    return out
