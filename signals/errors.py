"""Deprecated location: the errors live in :mod:`core.errors` (kept so that old imports work)."""

from core.errors import *  # noqa: F403
from core.errors import __all__  # noqa: F401
