"""Compiled kernels of :mod:`signals.tail_risk` (numba, imported when first needed).

Kept apart, as vectorbt keeps its ``nb`` modules, so that importing the package never
compiles anything.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["smallest_of_prefixes"]


@numba.njit(cache=True, nogil=True)
def smallest_of_prefixes(z: np.ndarray, ns: np.ndarray, low: np.ndarray, done: int) -> np.ndarray:  # pragma: no cover
    """The ``k = len(low)`` smallest values of each prefix ``z[:n]``, ``n`` in ``ns``, sorted.

    ``low`` holds the k smallest of ``z[:done]``, sorted and padded with inf, and is
    updated in place to those of ``z[:ns[-1]]``; ``ns`` ascends from ``done``. Each new
    value is inserted where it belongs (a binary search and a shift), so a prefix costs
    its new values, not a sort. NaN is never among the smallest, as in a NumPy sort.

    Returns
    -------
    array, shape (len(ns), k): row ``r`` the k smallest of ``z[:ns[r]]``, ascending, inf-padded.
    """
    k = len(low)
    out = np.empty((len(ns), k))
    for r in range(len(ns)):
        for i in range(done, ns[r]):
            v = z[i]
            if v < low[k - 1]:
                lo, hi = 0, k - 1
                while lo < hi:  # the first kept value above v
                    mid = (lo + hi) // 2
                    if low[mid] <= v:
                        lo = mid + 1
                    else:
                        hi = mid
                for j in range(k - 1, lo, -1):
                    low[j] = low[j - 1]
                low[lo] = v
        done = ns[r]
        out[r] = low
    return out
