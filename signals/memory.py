"""What a piece of work allocates through torch: the bytes a device would hold for it.

A GPU holds the tensors torch allocates on it (the panel, the weights and the optimiser's
state, a minibatch's gathered windows and the activations kept for its backward pass), plus
the CUDA context. :func:`peak_allocated` measures the first on any machine, from the
allocations and frees torch's profiler records, so that a CPU run can bound what a fit would
ask of a device (``benchmarks/device_memory.py``; ``torch.cuda.max_memory_allocated`` counts
the same on a GPU).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["peak_allocated"]

T = TypeVar("T")


def peak_allocated(fn: Callable[[], T]) -> tuple[T, int]:
    """Run ``fn()``; its result and the most bytes torch held allocated on the CPU while it ran.

    Counted from zero when ``fn`` starts: tensors alive before are not counted, and freeing one
    inside ``fn`` does not lower the count (the profiler drops the frees of blocks it did not see
    allocated, with a warning from torch).

    Parameters
    ----------
    fn : callable without arguments

    Returns
    -------
    result : what ``fn`` returned
    peak : int, bytes; the largest running sum of the allocations (+) and frees (-) torch's
        profiler recorded (``profile_memory=True``), in the order they happened
    """
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    return result, peak
