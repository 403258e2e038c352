"""Grouped networks equal the loop of single ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from signals.audit import check_causality
from signals.batched import BatchedRnnEnsemble, GroupedRnn
from signals.rnn import _RnnNet
from tests.signals.frames import sp500

SMALL = dict(cell="gru", hidden=8, seq_len=10, epochs=4, patience=2, batch_size=128, features=("rv", "return"))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_grouped_cell_equals_torch_modules(cell):
    nets = []
    for s in range(3):
        torch.manual_seed(s)
        nets.append(_RnnNet(2, cell, (6,), 0.0, False).eval())
    grouped = GroupedRnn.from_nets(nets, cell)
    x = torch.randn(16, 12, 2)
    with torch.no_grad():
        want = torch.stack([n(x)[0] for n in nets])
        got = grouped(x)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def test_batched_training_equals_the_loop_of_single_members():
    frame = sp500().loc[:"2006-12-31"]
    train, dates = frame.loc[:"2005-12-31"], frame.loc["2006-01-01":].index
    batched = BatchedRnnEnsemble(seeds=(0, 1, 2), **SMALL).fit(train)
    singles = [BatchedRnnEnsemble(seeds=(s,), **SMALL).fit(train) for s in (0, 1, 2)]
    got = batched.predict(frame, dates).to_numpy()
    want = np.mean([m.predict(frame, dates).to_numpy() for m in singles], axis=0)
    # float32 training: a batched matmul may round differently from a single one; over
    # a few epochs that stays far below a forecast's own precision
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert check_causality(batched, frame, dates[:120], [dates[60]]) > 0
    assert batched.name == "grux3" and (got > 0).all()
