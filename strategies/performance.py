"""Deprecated location: performance statistics live in :mod:`core.evaluation.performance`.

Evaluation has one room (:mod:`core.evaluation`); this module is kept so that old imports work.
"""

from core.evaluation.performance import *  # noqa: F403
from core.evaluation.performance import __all__  # noqa: F401
