"""Data in, folds, the walk-forward loop, the run store, config and CLI.

Submodules are imported on demand (``from engine.data import load``) so that
``import engine`` stays cheap and free of import cycles.
"""

__version__ = "0.1.0"
