"""Deprecated location: the universe leaderboard live in :mod:`core.evaluation.universe`.

Evaluation has one room (:mod:`core.evaluation`); this module is kept so that old imports work.
"""

from core.evaluation.universe import *  # noqa: F403
from core.evaluation.universe import __all__  # noqa: F401
