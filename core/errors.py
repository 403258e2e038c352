"""Errors and warnings shared by every tradecast package.

They live in :mod:`core`, below every package, so that each raises the same
errors and the command line catches them all through :class:`TradecastError`.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "ParameterError",
    "TradecastDeprecationWarning",
    "TradecastError",
    "TrainingError",
]


class TradecastError(Exception):
    """The base of every error tradecast raises on bad input: catch this one to catch
    them all (the command line does, and prints the message instead of a traceback).
    """


class DataError(TradecastError, ValueError):
    """Input data that tradecast refuses to use as it is.

    Every message says what was found, where (symbol, date, column) and how to
    fix it. Nothing is ever repaired silently: a repair is always opt-in.
    """


class ConfigError(TradecastError, ValueError):
    """A configuration that tradecast refuses: unknown key, wrong type or value
    (``engine.config`` raises it; it lives here so that the command line can catch
    it without importing the config machinery).
    """


class DataWarning(UserWarning):
    """Something about the data that a user should know but that is not fatal,
    such as rows filled by an opt-in ``fill="ffill"``.
    """


class ConvergenceWarning(UserWarning):
    """An optimiser stopped without converging; the fitted object carries ``converged_ = False``."""


class ParameterError(TradecastError, ValueError):
    """A hyperparameter outside its rule; the message names it, its value and the rule."""


class TradecastDeprecationWarning(DeprecationWarning):
    """An old spelling (a parameter or config key renamed so that each name has one
    meaning) was used; it still works, and the message names the new spelling.
    The command line shows these; Python hides plain DeprecationWarnings outside ``__main__``.
    """


class TrainingError(TradecastError, ArithmeticError):
    """Training that cannot go on: a loss that became infinite or NaN (a learning rate too
    large), or a network too large for memory; the message names the setting to change.
    """
