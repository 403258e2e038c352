"""Deprecated location: the adaptation statistics live in :mod:`core.evaluation.adaptation`.

Evaluation has one room (:mod:`core.evaluation`); this module is kept so that old imports work.
"""

from core.evaluation.adaptation import *  # noqa: F403
from core.evaluation.adaptation import __all__  # noqa: F401
