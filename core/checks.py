"""Hyperparameter checks shared by the forecasters: each names the owner, the
parameter, the value and the rule (and a hint where one helps).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

import numpy as np

from core.errors import ParameterError, TradecastDeprecationWarning

__all__ = ["UNSET", "check_bool", "check_choice", "check_int", "check_number", "check_sizes", "is_int", "renamed"]


def is_int(value: object) -> TypeGuard[int | np.integer]:
    """An integer, and not a bool (``True`` is an int to Python, never a size to us)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _hint(hint: str) -> str:
    return f" Hint: {hint}" if hint else ""


def check_int(
    owner: str,
    name: str,
    value: object,
    low: int,
    *,
    allow_none: bool = False,
    hint: str = "",
    error: type[Exception] = ParameterError,
) -> None:
    """``value`` is an integer ``>= low`` (or None when allowed); else ``error``
    (a :class:`~core.errors.DataError` for feature windows).
    """
    if value is None and allow_none:
        return
    if not is_int(value) or value < low:
        rule = f"an integer >= {low}" + (" or None" if allow_none else "")
        raise error(f"{owner}: {name} must be {rule}; got {value!r}.{_hint(hint)}")


def check_sizes(owner: str, name: str, value: object, *, unique: bool = False, hint: str = "") -> None:
    """``value`` is a non-empty tuple (or list) of integers >= 1."""
    if not (isinstance(value, (tuple, list)) and len(value) > 0 and all(is_int(v) and v >= 1 for v in value)):
        raise ParameterError(f"{owner}: {name} must be a non-empty tuple of integers >= 1; got {value!r}.{_hint(hint)}")
    if unique and len(set(value)) != len(value):
        raise ParameterError(f"{owner}: {name} must not repeat a value; got {tuple(value)}.")


def check_bool(owner: str, name: str, value: object) -> None:
    """``value`` is True or False (not 0, 1 or a string)."""
    if not isinstance(value, bool):
        raise ParameterError(f"{owner}: {name} must be True or False; got {value!r}.")


def check_choice(owner: str, name: str, value: object, allowed: Sequence[object]) -> None:
    """``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ParameterError(f"{owner}: {name} must be one of {', '.join(map(repr, allowed))}; got {value!r}.")


def check_number(
    owner: str, name: str, value: object, ok: Callable[[float], bool], rule: str, *, hint: str = ""
) -> None:
    """``value`` is a finite real number (not a bool) and ``ok(value)`` holds; ``rule`` says what ``ok``
    means. Infinity and NaN are refused whatever the rule: ``lr = inf`` passes "positive" and
    trains a network into NaN.
    """
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not number:
        raise ParameterError(f"{owner}: {name} must be {rule}; got {value!r}.{_hint(hint)}")
    if not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise ParameterError(f"{owner}: {name} must be a finite number, {rule}; got {value!r}.{_hint(hint)}")
    if not ok(float(value)):  # type: ignore[arg-type]
        raise ParameterError(f"{owner}: {name} must be {rule}; got {value!r}.{_hint(hint)}")


class _Unset:
    """The default of a deprecated spelling: tells "not given" from any value, None included."""

    def __repr__(self) -> str:
        return "<unset>"


#: Default of every deprecated parameter spelling.
UNSET: Any = _Unset()


def renamed(
    owner: str, old: str, old_value: Any, new: str, new_value: Any, default: Any, *, stacklevel: int = 3
) -> Any:
    """The value of a renamed parameter: ``new_value``, or ``old_value`` (with a
    :class:`~core.errors.TradecastDeprecationWarning`) when the old spelling was given.

    Giving both spellings is refused, as is any ambiguity about which one counts.
    """
    if old_value is UNSET:
        return new_value
    same_as_default = new_value is default or (type(new_value) is type(default) and new_value == default)
    if not same_as_default:
        raise ParameterError(
            f"{owner}: {old}={old_value!r} and {new}={new_value!r} are the old and new spellings of one parameter; "
            f"give one of them. Hint: {new}={old_value!r}."
        )
    warnings.warn(
        f"{owner}: {old}= is deprecated (renamed so that each name has one meaning); write {new}={old_value!r}.",
        TradecastDeprecationWarning,
        stacklevel=stacklevel,
    )
    return old_value
