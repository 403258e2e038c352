"""Deprecated location: the losses live in :mod:`core.evaluation.losses`.

Evaluation has one room (:mod:`core.evaluation`); this module is kept so that old imports work.
"""

from core.evaluation.losses import *  # noqa: F403
from core.evaluation.losses import __all__  # noqa: F401
