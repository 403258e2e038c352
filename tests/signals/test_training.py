"""The one trainer's epoch cap (batch growth with square-root learning rates, or sampled epochs) and its shards."""

import itertools
import math
import threading

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from core.threads import available_cores, task_cores
from signals.training import (
    DEVICE_CHUNK,
    MAX_SHARDS,
    SHARD_SAMPLES,
    TrainSpec,
    _sharded_step,
    shard_bounds,
    train_members,
)


def test_scaled_keeps_small_sets_and_grows_the_batch_of_large_ones():
    spec = TrainSpec(batch_size=64, lr=1e-3, max_steps=200)
    assert spec.scaled(200 * 64) == (64, 1e-3, 200 * 64)  # exactly at the cap: unchanged
    batch, lr, per_epoch = spec.scaled(78_260)
    assert batch == math.ceil(78_260 / 200) == 392 and per_epoch == 78_260
    assert lr == pytest.approx(1e-3 * math.sqrt(392 / 64))
    sample = TrainSpec(batch_size=64, lr=1e-3, max_steps=100, step_rule="sample")
    assert sample.scaled(78_260) == (64, 1e-3, 6_400)
    assert TrainSpec(max_steps=None).scaled(10**6) == (64, 1e-3, 10**6)


def _fit(spec: TrainSpec, n: int = 600):
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(n, 1, 3, generator=gen)
    y = X[:, 0, :] @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(n, generator=gen)
    torch.manual_seed(0)
    lin = nn.Linear(3, 1)
    steps = []

    def forward(x):
        steps.append(x.shape[1])
        return lin(x[0, :, 0, :]).T

    def loss(yb, z):
        return ((yb - z) ** 2).mean(dim=1)

    trained = train_members(forward, [list(lin.parameters())], [lin], (X, y, X[:50], y[:50]), loss, spec)
    return trained, steps


def test_an_epoch_takes_at_most_max_steps_steps():
    spec = TrainSpec(epochs=1, patience=5, batch_size=16, max_steps=10)
    _, steps = _fit(spec)
    train_steps = steps[:-1]  # the last forward pass is the validation one
    assert len(train_steps) == 10 and max(train_steps) == 60  # 600 samples in 10 batches of 60
    _, steps = _fit(TrainSpec(epochs=1, patience=5, batch_size=16, max_steps=10, step_rule="sample"))
    assert steps[:-1] == [16] * 10  # 160 of the 600 samples, in batches of 16
    _, steps = _fit(TrainSpec(epochs=1, patience=5, batch_size=16, max_steps=None))
    assert len(steps[:-1]) == math.ceil(600 / 16)


def test_a_cap_that_does_not_bind_changes_nothing():
    a, _ = _fit(TrainSpec(epochs=3, batch_size=16, max_steps=None))
    b, _ = _fit(TrainSpec(epochs=3, batch_size=16, max_steps=1000))
    np.testing.assert_array_equal(a.histories[0].to_numpy(), b.histories[0].to_numpy())


def test_the_network_refuses_a_bad_cap_by_name():
    from core.errors import ParameterError
    from signals.rnn import RnnForecaster
    from tests.signals.frames import sp500

    frame = sp500().iloc[:300]
    with pytest.raises(ParameterError, match=r"step_rule must be one of 'batch', 'sample'; got 'all'"):
        RnnForecaster(step_rule="all", epochs=1).fit(frame)
    with pytest.raises(ParameterError, match=r"max_steps must be an integer >= 1; got 0"):
        RnnForecaster(max_steps=0, epochs=1).fit(frame)


# -- shards: a large CPU minibatch split by its size alone, run on the task's cores --


def test_shard_bounds_depend_on_the_size_only():
    cpu = torch.device("cpu")
    assert shard_bounds(511, cpu) == [(0, 511)]  # below 2 * SHARD_SAMPLES: one shard
    assert shard_bounds(512, cpu) == [(0, 256), (256, 512)]
    assert len(shard_bounds(1023, cpu)) == 2 and len(shard_bounds(1024, cpu)) == 4
    for n in (512, 1000, 2500, 4096, 10**6):
        bounds = shard_bounds(n, cpu)
        k = len(bounds)
        assert k == min(MAX_SHARDS, 2 ** math.floor(math.log2(n // SHARD_SAMPLES)))
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(b[1] == c[0] for b, c in zip(bounds, bounds[1:], strict=False))  # contiguous, in order
        sizes = [b - a for a, b in bounds]
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= SHARD_SAMPLES


def test_off_the_cpu_a_batch_is_one_shard_up_to_the_device_chunk_and_chunks_above():
    cuda = torch.device("cuda")  # a device object: no GPU needed to ask for its shards
    assert shard_bounds(DEVICE_CHUNK, cuda) == [(0, DEVICE_CHUNK)]  # a GPU keeps one large batch
    for n in (1, 600, DEVICE_CHUNK + 1, 250_000):
        bounds = shard_bounds(n, cuda)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(bounds))  # contiguous, in order
        assert max(b - a for a, b in bounds) <= DEVICE_CHUNK and len(bounds) == math.ceil(n / DEVICE_CHUNK)


def _gru_setup(dropout: float = 0.0, n: int = 1200):
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(n, 12, 2, generator=gen)
    y = X[:, -3:, 0].sum(dim=1) + 0.1 * torch.randn(n, generator=gen)
    torch.manual_seed(0)
    gru, head, drop = nn.GRU(2, 8, batch_first=True), nn.Linear(8, 1), nn.Dropout(dropout)
    threads = []

    def forward(x):
        threads.append(threading.current_thread() is threading.main_thread())
        out, _ = gru(x[0])
        return head(drop(out[:, -1])).T

    def loss(yb, z):
        return ((yb - z) ** 2).mean(dim=1)

    return (X, y), [list(gru.parameters()) + list(head.parameters())], [gru, head, drop], forward, loss, threads


def test_sharded_gradients_equal_the_whole_minibatch():
    (X, y), members, _, forward, loss, _ = _gru_setup()
    idx = torch.arange(1024)
    whole = loss(y[idx][None], forward(X[None, idx]))
    whole.sum().backward()
    expected = [p.grad.clone() for p in members[0]]
    for p in members[0]:
        p.grad = None
    bounds = shard_bounds(1024, torch.device("cpu"))
    assert len(bounds) == 4
    mask = torch.tensor([True])
    per_member = _sharded_step(forward, loss, (X[None], y[None]), idx, bounds, mask, members, [0], map)
    torch.testing.assert_close(per_member, whole.detach(), rtol=1e-6, atol=0)
    for p, g in zip(members[0], expected, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_the_cores_never_change_the_numbers(dropout):
    spec = TrainSpec(epochs=3, patience=5, batch_size=64, max_steps=2)  # batches of 550: two shards each
    runs = {}
    for cores in (1, 2, 3):
        (X, y), members, modules, forward, loss, threads = _gru_setup(dropout)
        torch.manual_seed(7)  # dropout's draws
        with task_cores(cores):
            trained = train_members(forward, members, modules, (X[:1100], y[:1100], X[1100:], y[1100:]), loss, spec)
        runs[cores] = (trained.histories[0], [p.detach().clone() for p in members[0]], threads)
    for cores in (2, 3):
        pd.testing.assert_frame_equal(runs[cores][0], runs[1][0], check_exact=True)
        for a, b in zip(runs[cores][1], runs[1][1], strict=True):
            assert torch.equal(a, b)
    assert all(runs[1][2])  # one core: every forward pass in this thread
    # several cores: the shards in other threads, unless dropout's draws must come in one order
    assert (not all(runs[2][2])) is (dropout == 0.0)


def test_task_cores_lends_and_gives_back():
    from core.errors import ParameterError

    assert available_cores() == 1
    with task_cores(3):
        assert available_cores() == 3
        with task_cores(2):
            assert available_cores() == 2
        assert available_cores() == 3
    assert available_cores() == 1
    with pytest.raises(ParameterError, match=r"task_cores: n must be an integer >= 1; got 0"), task_cores(0):
        pass
