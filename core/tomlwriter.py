"""TOML text from plain data (the standard library reads TOML but does not write it).

The run store writes a run's ``config.toml`` with it and the config annotates
the TOML a user would write; it sits in :mod:`core` so that neither borrows
the other's private writer.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["to_toml", "toml_key", "toml_value"]


def toml_value(v: Any) -> str:
    """One TOML value: a boolean, number, string, array or inline table."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):  # an inline table: a hybrid's net = { cell = "gru", ... }
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def toml_key(k: str) -> str:
    """A bare TOML key where the name allows one, else a quoted key (symbols such as ``BRK-B.L`` or ``^GSPC``)."""
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text for plain config data: scalars, lists, tables (nested ones as
    ``[a.b]``) and arrays of tables.
    """

    def table(name: str, items: dict[str, Any]) -> list[str]:
        lines = ["", f"[{name}]"] + [
            f"{toml_key(k)} = {toml_value(v)}" for k, v in items.items() if not isinstance(v, dict)
        ]
        for k, v in items.items():
            if isinstance(v, dict):
                lines += table(f"{name}.{toml_key(k)}", v)
        return lines

    lines = [
        f"{k} = {toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))
    ]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += table(k, v)
    for k, v in data.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines += ["", f"[[{k}]]"] + [f"{kk} = {toml_value(vv)}" for kk, vv in item.items()]
    return "\n".join(lines) + "\n"
