r"""Many small recurrent networks trained as one: grouped weights instead of a Python loop.

``torch.func.vmap`` has no batching rule for ``aten::gru`` / ``aten::lstm``, so
the cells are written out with batched matrix products over a leading *model*
axis: ``M`` networks of hidden size ``H`` hold weights of shape ``(M, 3H, I)``
(GRU) or ``(M, 4H, I)`` (LSTM) and step through time together. The gate
equations are PyTorch's own (gate order r, z, n for the GRU and i, f, g, o for
the LSTM), so a grouped cell loaded with an ``nn.GRU``'s weights gives its
outputs (a test checks it).

Training sums the members' losses: their gradients stay separate, Adam is
elementwise, and gradient clipping is done per member, so training ``M``
members at once equals training each alone with the same data order (a test
checks that too). The ensemble forecasts the mean of the members' variances.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from signals.base import BaseForecaster
from signals.checks import check_choice, check_int, check_number
from signals.errors import ParameterError
from signals.losses import torch_loss
from signals.rnn import RnnForecaster, _RnnNet

__all__ = ["GroupedRnn", "BatchedRnnEnsemble"]


class GroupedRnn(nn.Module):
    """``n_models`` one-layer GRUs or LSTMs with a linear head each, run together.

    Input ``x`` of shape (batch, time, features) is shared by every model;
    the output has shape (n_models, batch).
    """

    def __init__(self, n_models: int, n_inputs: int, hidden: int, cell: str) -> None:
        super().__init__()
        gates = 3 if cell == "gru" else 4
        self.cell, self.hidden = cell, hidden
        bound = 1 / math.sqrt(hidden)
        def p(*shape):
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))
        self.w_ih, self.w_hh = p(n_models, gates * hidden, n_inputs), p(n_models, gates * hidden, hidden)
        self.b_ih, self.b_hh = p(n_models, gates * hidden), p(n_models, gates * hidden)
        self.w_out, self.b_out = p(n_models, hidden), nn.Parameter(torch.zeros(n_models))

    @classmethod
    def from_nets(cls, nets: list[_RnnNet], cell: str) -> GroupedRnn:
        """Stack single-layer, attention-free :class:`signals.rnn._RnnNet` networks."""
        rnn0 = nets[0].layers[0]
        g = cls(len(nets), rnn0.input_size, rnn0.hidden_size, cell)
        with torch.no_grad():
            for name, attr in (("w_ih", "weight_ih_l0"), ("w_hh", "weight_hh_l0"), ("b_ih", "bias_ih_l0"), ("b_hh", "bias_hh_l0")):
                getattr(g, name).copy_(torch.stack([getattr(n.layers[0], attr) for n in nets]))
            g.w_out.copy_(torch.stack([n.head.weight[0] for n in nets]))
            g.b_out.copy_(torch.stack([n.head.bias[0] for n in nets]))
        return g

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, H = self.w_ih.shape[0], self.hidden
        B, T, _ = x.shape
        xi = torch.einsum("bti,mgi->mbtg", x, self.w_ih) + self.b_ih[:, None, None, :]
        h = x.new_zeros(m, B, H)
        c = x.new_zeros(m, B, H)
        w_hh_t = self.w_hh.transpose(1, 2)
        for t in range(T):
            gh = torch.baddbmm(self.b_hh[:, None, :], h, w_hh_t)
            gi = xi[:, :, t]
            if self.cell == "gru":
                r = torch.sigmoid(gi[..., :H] + gh[..., :H])
                z = torch.sigmoid(gi[..., H : 2 * H] + gh[..., H : 2 * H])
                n = torch.tanh(gi[..., 2 * H :] + r * gh[..., 2 * H :])
                h = (1 - z) * n + z * h
            else:
                gates = gi + gh
                i, f = torch.sigmoid(gates[..., :H]), torch.sigmoid(gates[..., H : 2 * H])
                g, o = torch.tanh(gates[..., 2 * H : 3 * H]), torch.sigmoid(gates[..., 3 * H :])
                c = f * c + i * g
                h = o * torch.tanh(c)
        return torch.einsum("mbh,mh->mb", h, self.w_out) + self.b_out[:, None]


class BatchedRnnEnsemble(BaseForecaster):
    """An ensemble of single-layer LSTMs or GRUs, one per seed, trained in one grouped model.

    Each member starts exactly as ``RnnForecaster(seed=s)`` would; all members
    see the same minibatches (shuffled by ``shuffle_seed``), keep their own best
    validation weights and stop on their own patience. The forecast is the mean
    of the members' variance forecasts. Inputs, scaling and validation split
    are :class:`signals.rnn.RnnForecaster`'s; the members are plain recurrent
    networks (``RnnForecaster(skip=False)``).

    Parameters
    ----------
    seeds : tuple of int, default (0, 1, 2, 3, 4)
    cell : {"lstm", "gru"}, default "gru"
    hidden : int, default 32
    seq_len, features, epochs, patience, lr, grad_clip, batch_size, val_fraction, horizon
        As in :class:`signals.rnn.RnnForecaster` (fixed learning rate here).
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.
    """

    supported_targets = ("variance",)
    relative_cost = 1000.0

    def __init__(
        self,
        *,
        seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
        cell: str = "gru",
        hidden: int = 32,
        seq_len: int = 20,
        features: tuple[str, ...] = ("rv", "return", "volume_ratio"),
        epochs: int = 30,
        patience: int = 5,
        lr: float = 1e-3,
        grad_clip: float | None = 1.0,
        batch_size: int = 64,
        val_fraction: float = 0.2,
        shuffle_seed: int = 0,
        horizon: int = 1,
    ) -> None:
        self.seeds = seeds
        self.shuffle_seed = shuffle_seed
        self.cell = cell
        self.hidden = hidden
        self.seq_len = seq_len
        self.features = features
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.horizon = horizon

    @property
    def name(self) -> str:
        return f"{self.cell}x{len(self.seeds)}"

    def _check_params(self) -> None:
        who = "BatchedRnnEnsemble"
        if not isinstance(self.seeds, (tuple, list)) or not self.seeds:
            raise ParameterError(f"{who}: seeds must be a non-empty tuple of integers; got {self.seeds!r}.")
        check_choice(who, "cell", self.cell, ("lstm", "gru"))
        for n in ("hidden", "seq_len", "epochs", "patience", "batch_size"):
            check_int(who, n, getattr(self, n), 1)
        check_number(who, "lr", self.lr, lambda v: v > 0, "a positive number")
        self._template().validate_params()

    def _template(self, seed: int = 0) -> RnnForecaster:
        return RnnForecaster(cell=self.cell, hidden=(self.hidden,), seq_len=self.seq_len, features=tuple(self.features),
                             epochs=self.epochs, patience=self.patience, lr=self.lr, grad_clip=self.grad_clip,
                             batch_size=self.batch_size, val_fraction=self.val_fraction, horizon=self.horizon, seed=seed,
                             skip=False)  # the grouped cells have no skip path

    def _columns(self) -> list[str]:
        return self._template()._columns()

    def _fit(self, frame: pd.DataFrame, y: pd.Series) -> None:
        # The data preparation is RnnForecaster's: its scalers and samples.
        prep = self._template(self.seeds[0])
        Xtr, ytr, Xva, yva = prep._samples([(frame, y)])
        self.prep_ = prep
        nets = []
        for s in self.seeds:
            torch.manual_seed(s)
            nets.append(_RnnNet(len(self.features), self.cell, (self.hidden,), 0.0, False))
        self.net_ = train_grouped(GroupedRnn.from_nets(nets, self.cell), dict(Xtr=Xtr, ytr=ytr, Xva=Xva, yva=yva), self)
        self.net_.eval()

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        X, ok = self.prep_._windows(self.prep_._inputs(frame), origins)
        out = np.full(len(origins), np.nan)
        if ok.any():
            net64 = copy.deepcopy(self.net_).double()
            with torch.no_grad():
                z = net64(torch.as_tensor(X[ok], dtype=torch.float64)).numpy()
            out[ok] = self.prep_.y_scale_ * np.exp(z).mean(axis=0)
        return out


def train_grouped(net: GroupedRnn, data: dict, spec: BatchedRnnEnsemble) -> GroupedRnn:
    """Adam on the summed QLIKE of all members, per-member clipping, best weights and patience."""
    Xtr = torch.as_tensor(data["Xtr"], dtype=torch.float32)
    ytr = torch.as_tensor(data["ytr"], dtype=torch.float32)
    Xva = torch.as_tensor(data["Xva"], dtype=torch.float32)
    yva = torch.as_tensor(data["yva"], dtype=torch.float32)
    m = net.w_ih.shape[0]
    opt = torch.optim.Adam(net.parameters(), lr=spec.lr)
    gen = torch.Generator().manual_seed(spec.shuffle_seed)
    best = torch.full((m,), math.inf)
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    bad = torch.zeros(m, dtype=torch.long)
    active = torch.ones(m, dtype=torch.bool)
    n = len(Xtr)
    for _ in range(spec.epochs):
        net.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, spec.batch_size):
            idx = perm[i : i + spec.batch_size]
            opt.zero_grad()
            z = net(Xtr[idx])  # (m, batch)
            per_model = torch_loss("qlike", ytr[idx].expand_as(z), torch.exp(z), log_f=z, reduce=False).mean(dim=1)
            (per_model * active).sum().backward()
            if spec.grad_clip is not None:
                norms = torch.sqrt(sum((p.grad.reshape(m, -1) ** 2).sum(dim=1) for p in net.parameters()))
                scale = torch.clamp(spec.grad_clip / (norms + 1e-6), max=1.0)
                for p in net.parameters():
                    p.grad.mul_(scale.reshape(m, *([1] * (p.grad.dim() - 1))))
            opt.step()
        net.eval()
        with torch.no_grad():
            z = net(Xva)
            val = torch_loss("qlike", yva.expand_as(z), torch.exp(z), log_f=z, reduce=False).mean(dim=1)
        improved = (val < best - 1e-7) & active
        best = torch.where(improved, val, best)
        for k, v in net.state_dict().items():
            best_state[k][improved] = v.detach()[improved]
        bad = torch.where(improved, torch.zeros_like(bad), bad + active.long())
        active &= bad < spec.patience
        if not active.any():
            break
    net.load_state_dict(best_state)
    return net
