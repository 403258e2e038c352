"""signals/memory.py: the peak of the bytes torch allocates, counted from its profiler's events."""

from __future__ import annotations

import pytest

from signals.memory import peak_allocated

torch = pytest.importorskip("torch")


def test_the_peak_is_the_largest_running_sum_of_allocations_and_frees():
    def work():
        a = torch.zeros(1_000_000)  # 4 MB
        b = torch.zeros(2_000_000)  # 8 MB: 12 MB held
        del a  # 8 MB held
        c = torch.zeros(500_000)  # 2 MB: 10 MB held
        return b.numel() + c.numel()

    result, peak = peak_allocated(work)
    assert result == 2_500_000
    assert peak == 12_000_000  # float32: 4 bytes an element, the first two at once


def test_tensors_alive_before_are_not_counted():
    kept = torch.zeros(10_000_000)  # 40 MB, allocated before
    _, peak = peak_allocated(lambda: torch.zeros(250_000).sum())
    assert kept.numel() == 10_000_000
    assert 1_000_000 <= peak < 2_000_000  # the 1 MB made inside, and the sum's few bytes


def test_freeing_a_tensor_made_before_does_not_lower_the_count():
    held = [torch.zeros(1_000_000)]  # 4 MB, made before

    def work():
        held.clear()  # freed inside: the profiler never saw it allocated
        return torch.zeros(2_000_000).numel()  # 8 MB made inside

    _, peak = peak_allocated(work)
    assert peak == 8_000_000  # not 4 MB (8 less 4)
