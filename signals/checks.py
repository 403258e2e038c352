"""Deprecated location: the checks live in :mod:`core.checks` (kept so that old imports work)."""

from core.checks import *  # noqa: F403
from core.checks import __all__  # noqa: F401
