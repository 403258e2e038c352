"""Deprecated location: atomic files live in :mod:`core.atomic` (kept so that old imports work)."""

from core.atomic import *  # noqa: F403
from core.atomic import __all__  # noqa: F401
