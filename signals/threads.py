"""Deprecated location: thread settings live in :mod:`core.threads` (kept so that old imports work)."""

from core.threads import *  # noqa: F403
from core.threads import __all__  # noqa: F401
