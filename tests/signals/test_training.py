"""The one trainer's epoch cap: batch growth with square-root learning rates, or sampled epochs."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from signals.training import TrainSpec, train_members


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
