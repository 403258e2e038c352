"""The resamples of the block bootstraps, drawn as ``arch.bootstrap`` draws them and kept.

The stationary bootstrap (Politis and Romano) behind the model confidence set and the
SPA test (:mod:`core.evaluation.comparison`), as draw counts per row; the circular
block bootstrap behind the Sharpe gap's standard error
(:func:`core.evaluation.performance.sharpe_difference`), as block starts. Each is
drawn once per (rows, block, resamples, seed) and kept read-only: every asset and
table with the same days shares them.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["block_indices", "block_starts", "stationary_counts"]


@functools.lru_cache(maxsize=4)
def stationary_counts(t: int, block: int, reps: int, seed: int) -> np.ndarray:
    """How many times each of ``t`` rows is drawn by each of ``reps`` stationary bootstrap
    resamples, shape (reps, t): exactly the resamples of
    ``arch.bootstrap.StationaryBootstrap(block, ..., seed=seed)`` in the order ``MCS`` draws
    them; drawn once per (t, block, reps, seed) and kept, read-only (every asset of a
    universe with the same dates shares them).
    """
    from arch.bootstrap import StationaryBootstrap

    bs = StationaryBootstrap(block, np.empty(t), seed=seed)
    flat = np.concatenate([np.asarray(bs.update_indices(), dtype=np.int64) + r * t for r in range(reps)])
    counts = np.bincount(flat, minlength=reps * t).reshape(reps, t).astype(float)
    counts.setflags(write=False)
    return counts


@functools.lru_cache(maxsize=8)
def block_starts(n: int, block: int, reps: int, seed: int) -> np.ndarray:
    """First rows of the blocks of ``reps`` circular block bootstrap resamples of ``n`` rows,
    shape (reps, ceil(n / block)): a resample is rows ``start, start + 1, ...`` (modulo
    ``n``) for each block, cut at ``n`` rows.

    Exactly the resamples of ``arch.bootstrap.CircularBlockBootstrap(block, ..., seed=seed)``
    (its ``update_indices``, called in the order ``apply`` calls it), drawn once per
    (n, block, reps, seed) and kept (read-only): a table's strategies share one window.
    """
    idx = block_indices(n, block, reps, seed)
    starts = np.ascontiguousarray(idx[:, ::block]).astype(np.int64)
    starts.setflags(write=False)
    return starts


def block_indices(n: int, block: int, reps: int, seed: int) -> np.ndarray:
    """Row indices of ``reps`` circular block bootstrap resamples of ``n`` rows, shape (reps, n).

    Exactly the resamples of ``arch.bootstrap.CircularBlockBootstrap(block, ..., seed=seed)``
    (its ``update_indices``, called in the order ``apply`` calls it). Not kept: what is
    kept is :func:`block_starts`, one row per block instead of one per day.
    """
    from arch.bootstrap import CircularBlockBootstrap

    bs = CircularBlockBootstrap(block, np.empty(n), seed=seed)
    idx = np.stack([np.asarray(bs.update_indices(), dtype=np.int32) for _ in range(reps)])
    idx.setflags(write=False)
    return idx
