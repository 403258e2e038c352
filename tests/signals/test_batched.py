"""Grouped networks equal the loop of single ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import DataError, ParameterError
from core.frameinfo import frame_info
from signals.audit import check_causality
from signals.batched import GROUPED_DEFAULTS, BatchedRnnEnsemble, BatchedRnnUniverse, GroupedRnn, default_net
from signals.rnn import RnnForecaster
from signals.rnn_net import RnnNet
from tests.signals.frames import nasdaq, sp500


def _net(**kw) -> RnnForecaster:
    """A grouped model's network: its defaults, with ``kw``."""
    return default_net().set_params(**kw)


SMALL = dict(cell="gru", hidden=(8,), seq_len=10, epochs=4, patience=2, batch_size=128, features=("rv", "return"))


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_grouped_cell_equals_torch_modules(cell, skip):
    nets = []
    for s in range(3):
        torch.manual_seed(s)
        net = RnnNet(2, cell, (6,), 0.0, False, skip).eval()
        if skip:  # zero at start; any weights must carry over
            torch.nn.init.normal_(net.skip.weight)
        nets.append(net)
    grouped = GroupedRnn.from_nets(nets, cell)
    x = torch.randn(16, 12, 2)
    own = torch.randn(3, 16, 12, 2)  # one input block per model
    with torch.no_grad():
        torch.testing.assert_close(grouped(x), torch.stack([n(x)[0] for n in nets]), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(
            grouped(own), torch.stack([n(own[k])[0] for k, n in enumerate(nets)]), rtol=1e-5, atol=1e-6
        )
        torch.testing.assert_close(grouped.member(1)(own[1])[0], nets[1](own[1])[0], rtol=1e-5, atol=1e-6)


def test_batched_training_equals_the_loop_of_single_members():
    frame = sp500().loc[:"2006-12-31"]
    train, dates = frame.loc[:"2005-12-31"], frame.loc["2006-01-01":].index
    batched = BatchedRnnEnsemble(net=_net(**SMALL), seeds=(0, 1, 2)).fit(train)
    singles = [BatchedRnnEnsemble(net=_net(**SMALL), seeds=(s,)).fit(train) for s in (0, 1, 2)]
    got = batched.predict(frame, dates).to_numpy()
    want = np.mean([m.predict(frame, dates).to_numpy() for m in singles], axis=0)
    # float32 training: a batched matmul may round differently from a single one; over
    # a few epochs that stays far below a forecast's own precision
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert check_causality(batched, frame, dates[:120], [dates[60]]) > 0
    assert batched.name == "grux3" and (got > 0).all()


def test_universe_in_one_grouped_model_equals_a_fit_per_asset():
    frames = {frame_info(f).symbols[0]: f.loc[:"2006-12-31"] for f in (sp500(), nasdaq())}
    train = {s: f.loc[:"2005-12-31"] for s, f in frames.items()}
    spec = {k: v for k, v in SMALL.items()}
    together = BatchedRnnUniverse(net=_net(**spec)).fit_pooled(train)
    assert together.symbols_ == ["SP500", "NASDAQ"] and together.name == "gru-universe"
    for sym, f in frames.items():
        dates = f.loc["2006-01-01":].index
        alone = BatchedRnnUniverse(net=_net(**spec)).fit(train[sym]).predict(f, dates)
        # float32 training as above; each member keeps its own scalers and early stopping
        np.testing.assert_allclose(together.predict(f, dates), alone, rtol=1e-4)
    other = sp500().loc[:"2006-12-31"]
    other.attrs = {"symbols": ["DAX"]}
    with pytest.raises(DataError, match=r"no member for 'DAX'; the members are \['SP500', 'NASDAQ'\]"):
        together.predict(other, other.index[-5:])
    short = {"SP500": train["SP500"], "NASDAQ": train["NASDAQ"].iloc[5:]}
    with pytest.raises(
        DataError, match=r"different numbers of \(training, validation\) samples.*Hint: align the frames"
    ):
        BatchedRnnUniverse(net=_net(**spec)).fit_pooled(short)


def test_device_is_checked_and_the_cpu_path_is_the_default_here():
    frame = sp500().loc[:"2005-12-31"]
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match=r"device='cuda' but torch sees no CUDA device"):
            BatchedRnnUniverse(net=_net(**SMALL, device="cuda")).fit(frame)
    dates = frame.index[-20:]
    auto = BatchedRnnEnsemble(net=_net(**SMALL), seeds=(0, 1)).fit(frame.iloc[:-20]).predict(frame, dates)
    cpu = BatchedRnnEnsemble(net=_net(**SMALL, device="cpu"), seeds=(0, 1)).fit(frame.iloc[:-20]).predict(frame, dates)
    if not torch.cuda.is_available():
        np.testing.assert_array_equal(auto, cpu)
    else:  # float32 training on another device rounds differently
        np.testing.assert_allclose(auto, cpu, rtol=1e-3)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_grouped_cell_with_several_layers_equals_torch_modules(cell):
    nets = []
    for s in range(2):
        torch.manual_seed(s)
        net = RnnNet(3, cell, (6, 4), 0.0, False, True).eval()
        torch.nn.init.normal_(net.skip.weight)
        nets.append(net)
    grouped = GroupedRnn.from_nets(nets, cell).eval()
    x = torch.randn(8, 7, 3)
    with torch.no_grad():
        torch.testing.assert_close(grouped(x), torch.stack([n(x)[0] for n in nets]), rtol=1e-5, atol=1e-6)
    assert grouped.hidden == (6, 4) and len(grouped.member_parameters()) == 2


def test_a_group_of_one_trains_as_the_single_network_does():
    # One trainer and one data preparation: a grouped ensemble of one seed is RnnForecaster with that
    # seed, plateau schedule, weight decay and two layers included (float32 kernels round differently).
    frame = sp500().loc[:"2006-12-31"]
    train, dates = frame.loc[:"2005-12-31"], frame.loc["2006-01-01":].index
    spec = dict(
        cell="gru", hidden=(8, 4), seq_len=10, epochs=6, patience=3, batch_size=128, features=("rv", "return"),
        weight_decay=1e-4, lr_schedule="plateau", lr_factor=0.5, lr=3e-3,
    )  # fmt: skip
    for seed in (0, 1):
        # a single network's seed sets its first weights and its minibatch order; a group's members
        # share one order, shuffle_seed's: member s equals RnnForecaster(seed=s) when shuffle_seed is s
        single = RnnForecaster(seed=seed, **spec).fit(train)
        grouped = BatchedRnnEnsemble(net=_net(**spec), seeds=(seed,), shuffle_seed=seed).fit(train)
        np.testing.assert_allclose(grouped.predict(frame, dates), single.predict(frame, dates), rtol=1e-4)
        np.testing.assert_allclose(grouped.history_.to_numpy(), single.history_.to_numpy(), rtol=1e-4)
        assert grouped.best_epoch_ == single.best_epoch_
        assert grouped.n_parameters() == single.n_parameters()
    # with another order the same first weights train to another network (about 1 % apart here)
    other = BatchedRnnEnsemble(net=_net(**spec), seeds=(1,), shuffle_seed=0).fit(train)
    assert not np.allclose(other.predict(frame, dates), single.predict(frame, dates), rtol=1e-3)


def test_a_group_takes_a_network_and_refuses_what_its_members_cannot_be():
    frame = sp500().loc[:"2005-12-31"]
    group = BatchedRnnEnsemble(net=_net(**SMALL), seeds=(0,))
    assert group.cell == "gru" and group.seq_len == 10 and group.horizon == 1
    assert set(group.get_params()) == {"net", "seeds", "shuffle_seed"}
    assert BatchedRnnEnsemble().net.get_params() == RnnForecaster(**GROUPED_DEFAULTS).get_params()
    for net, match in (
        (RnnForecaster(**{**SMALL, "attention": True}), r"net.attention=True is not supported by a grouped model"),
        (RnnForecaster(**{**SMALL, "loss": "logmse"}), r"net.loss='logmse' is not supported"),
        (RnnForecaster(**{**SMALL, "hidden": (8, 0)}), "hidden"),
        (
            RnnForecaster(**{**SMALL, "cell": "lstm", "precision": "bf16"}),
            r"net.precision='bf16' is not supported by a grouped model: its members train in float32",
        ),
    ):
        with pytest.raises(ParameterError, match=match):
            BatchedRnnEnsemble(net=net).fit(frame)
    with pytest.raises(ParameterError, match="net must be an RnnForecaster"):
        BatchedRnnUniverse(net=BatchedRnnEnsemble()).fit(frame)


def test_none_means_the_default_network():
    for grouped in (BatchedRnnEnsemble(net=None), BatchedRnnUniverse(net=None)):
        assert grouped.net.get_params() == default_net().get_params() and grouped.horizon == 1
