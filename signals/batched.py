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
checks that too). Two forecasters use it:

* :class:`BatchedRnnEnsemble`: seeds of one network on one asset (the members
  share their inputs); it forecasts the mean of the members' variances;
* :class:`BatchedRnnUniverse`: one network per asset of a universe (each member
  reads its own asset), the batched twin of fitting an ``RnnForecaster`` per
  asset; ``walk_forward(..., pooled=True)`` trains each fold's members at once.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from torch import nn
from typing_extensions import override

from core.checks import check_choice, check_int, check_number
from core.errors import DataError, ParameterError
from signals.base import BaseForecaster
from signals.features import symbols
from signals.losses import torch_loss
from signals.rnn import Device, RnnForecaster, _RnnNet, _window_averages

__all__ = ["BatchedRnnEnsemble", "BatchedRnnUniverse", "GroupedRnn"]


class GroupedRnn(nn.Module):
    """``n_models`` one-layer GRUs or LSTMs with a linear head each, run together.

    Input ``x`` of shape (batch, time, features) is shared by every model, or of
    shape (n_models, batch, time, features) gives each its own; the output has
    shape (n_models, batch). With ``skip=True`` each model also has
    :class:`signals.rnn._RnnNet`'s linear path from the inputs' averages over
    the last 1, 5 and all time steps.
    """

    def __init__(self, n_models: int, n_inputs: int, hidden: int, cell: str, skip: bool = False) -> None:
        super().__init__()
        gates = 3 if cell == "gru" else 4
        self.cell, self.hidden = cell, hidden
        bound = 1 / math.sqrt(hidden)

        def p(*shape):
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        self.w_ih, self.w_hh = p(n_models, gates * hidden, n_inputs), p(n_models, gates * hidden, hidden)
        self.b_ih, self.b_hh = p(n_models, gates * hidden), p(n_models, gates * hidden)
        self.w_out, self.b_out = p(n_models, hidden), nn.Parameter(torch.zeros(n_models))
        self.w_skip = nn.Parameter(torch.zeros(n_models, 3 * n_inputs)) if skip else None

    @classmethod
    def from_nets(cls, nets: list[_RnnNet], cell: str) -> GroupedRnn:
        """Stack single-layer, attention-free :class:`signals.rnn._RnnNet` networks."""
        rnn0 = nets[0].layers[0]
        g = cls(len(nets), rnn0.input_size, rnn0.hidden_size, cell, skip=nets[0].skip is not None)
        with torch.no_grad():
            for name, attr in (
                ("w_ih", "weight_ih_l0"),
                ("w_hh", "weight_hh_l0"),
                ("b_ih", "bias_ih_l0"),
                ("b_hh", "bias_hh_l0"),
            ):
                getattr(g, name).copy_(torch.stack([getattr(n.layers[0], attr) for n in nets]))
            g.w_out.copy_(torch.stack([n.head.weight[0] for n in nets]))
            g.b_out.copy_(torch.stack([n.head.bias[0] for n in nets]))
            if g.w_skip is not None:
                g.w_skip.copy_(torch.stack([n.skip.weight[0] for n in nets]))
        return g

    def member(self, k: int) -> GroupedRnn:
        """Model ``k`` alone, as a group of one (a copy)."""
        one = copy.deepcopy(self)
        with torch.no_grad():
            for name, p in one.named_parameters():
                setattr(one, name, nn.Parameter(p[k : k + 1].clone()))
        return one

    @override
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, H = self.w_ih.shape[0], self.hidden
        if x.dim() == 3:
            x = x.expand(m, *x.shape)
        _, B, T, _ = x.shape
        xi = torch.einsum("mbti,mgi->mbtg", x, self.w_ih) + self.b_ih[:, None, None, :]
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
        out = torch.einsum("mbh,mh->mb", h, self.w_out) + self.b_out[:, None]
        if self.w_skip is not None:
            out = out + torch.einsum("mbj,mj->mb", _window_averages(x), self.w_skip)
        return out


class _GroupedRnnBase(BaseForecaster):
    """Hyperparameters, checks and the member template shared by the grouped forecasters."""

    supported_targets = ("variance",)
    relative_cost = 1000.0

    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    def _check_params(self) -> None:
        who = type(self).__name__
        check_choice(who, "cell", self.cell, ("lstm", "gru"))
        for n in ("hidden", "seq_len", "epochs", "patience", "batch_size"):
            check_int(who, n, getattr(self, n), 1)
        check_number(who, "lr", self.lr, lambda v: v > 0, "a positive number")
        self._template().validate_params()

    def _template(self, seed: int = 0) -> RnnForecaster:
        return RnnForecaster(
            cell=self.cell,
            hidden=(self.hidden,),
            seq_len=self.seq_len,
            features=tuple(self.features),
            epochs=self.epochs,
            patience=self.patience,
            lr=self.lr,
            grad_clip=self.grad_clip,
            batch_size=self.batch_size,
            val_fraction=self.val_fraction,
            horizon=self.horizon,
            seed=seed,
            skip=self.skip,
            device=self.device,
        )

    def _columns(self) -> list[str]:
        return self._template()._columns()


def _forecast_members(net: GroupedRnn, X: np.ndarray) -> np.ndarray:
    """Log-variance forecasts (scaled) in float64, shape (n_models, n)."""
    net64 = copy.deepcopy(net).double()
    with torch.no_grad():
        return net64(torch.as_tensor(X, dtype=torch.float64, device=net.w_ih.device)).cpu().numpy()


class BatchedRnnEnsemble(_GroupedRnnBase):
    """An ensemble of single-layer LSTMs or GRUs, one per seed, trained in one grouped model.

    Each member starts exactly as ``RnnForecaster(seed=s)`` would; all members
    see the same minibatches (shuffled by ``shuffle_seed``), keep their own best
    validation weights and stop on their own patience. The forecast is the mean
    of the members' variance forecasts. Inputs, scaling, validation split and
    the skip path are :class:`signals.rnn.RnnForecaster`'s.

    Parameters
    ----------
    seeds : tuple of int, default (0, 1, 2, 3, 4)
    cell : {"lstm", "gru"}, default "gru"
    hidden : int, default 32
    seq_len, features, epochs, patience, lr, grad_clip, batch_size, val_fraction, horizon, skip, device
        As in :class:`signals.rnn.RnnForecaster` (fixed learning rate here).
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.
    """

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
        skip: bool = True,
        device: Device = "auto",
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
        self.skip = skip
        self.device = device

    @property
    @override
    def name(self) -> str:
        return f"{self.cell}x{len(self.seeds)}"

    def _check_params(self) -> None:
        if not isinstance(self.seeds, (tuple, list)) or not self.seeds:
            raise ParameterError(
                f"BatchedRnnEnsemble: seeds must be a non-empty tuple of integers; got {self.seeds!r}."
            )
        super()._check_params()

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: BaseForecaster | None = None) -> None:
        # The data preparation is RnnForecaster's: its scalers and samples.
        prep = self._template(self.seeds[0])
        Xtr, ytr, Xva, yva = prep._samples([(frame, y)])
        self.prep_ = prep
        net = GroupedRnn.from_nets([prep._new_net(s) for s in self.seeds], self.cell).to(prep._device())
        self.net_ = train_grouped(net, dict(Xtr=Xtr, ytr=ytr, Xva=Xva, yva=yva), self)
        self.net_.eval()

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        X, ok = self.prep_._windows(self.prep_._inputs(frame), origins)
        out = np.full(len(origins), np.nan)
        if ok.any():
            out[ok] = self.prep_.y_scale_ * np.exp(_forecast_members(self.net_, X[ok])).mean(axis=0)
        return out


class BatchedRnnUniverse(_GroupedRnnBase):
    """One single-layer LSTM or GRU per asset of a universe, trained as one grouped model.

    ``fit_pooled(frames)`` equals fitting this forecaster on each asset's frame
    alone (same seed, same minibatch order; a test checks it), in one grouped
    model instead of a loop: with ``walk_forward(..., pooled=True)`` every fold
    trains the whole universe at once. Each member has its own scalers, early
    stopping and best weights, as an ``RnnForecaster`` per asset would. The
    assets must give the same number of training samples (one calendar).
    ``predict`` picks the member by the frame's symbol (``attrs["symbols"]``,
    set by :func:`engine.data.load`).

    Parameters
    ----------
    cell : {"lstm", "gru"}, default "gru"
    hidden : int, default 32
    seq_len, features, epochs, patience, lr, grad_clip, batch_size, val_fraction, horizon, skip, seed, device
        As in :class:`signals.rnn.RnnForecaster` (fixed learning rate here).
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.

    Attributes
    ----------
    symbols_ : list of str, the members' assets
    """

    supports_pooling = True

    def __init__(
        self,
        *,
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
        horizon: int = 1,
        skip: bool = True,
        device: Device = "auto",
        seed: int = 0,
        shuffle_seed: int = 0,
    ) -> None:
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
        self.skip = skip
        self.device = device
        self.seed = seed
        self.shuffle_seed = shuffle_seed

    @property
    @override
    def name(self) -> str:
        return f"{self.cell}-universe"

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: BaseForecaster | None = None) -> None:
        self._fit_members({symbols(frame)[0]: (frame, y)})

    def _fit_pooled(self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]], warm_start: None) -> None:
        """One member per asset, all in one grouped model (see ``fit_pooled``)."""
        self._fit_members(pairs)

    def _fit_members(self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]]) -> None:
        preps, parts = [], []
        for frame, y in pairs.values():
            prep = self._template(self.seed)
            parts.append(prep._samples([(frame, y)]))
            preps.append(prep)
        shapes = {sym: (len(p[0]), len(p[2])) for sym, p in zip(pairs, parts, strict=True)}
        if len(set(shapes.values())) > 1:
            raise DataError(
                f"BatchedRnnUniverse: the assets give different numbers of (training, validation) samples, {shapes}; "
                "a grouped model needs one calendar. Hint: align the frames on common dates, or fit RnnForecaster "
                "per asset (pooled=False)."
            )
        data = {k: np.stack([p[i] for p in parts]) for i, k in enumerate(("Xtr", "ytr", "Xva", "yva"))}
        net = GroupedRnn.from_nets([p._new_net(self.seed) for p in preps], self.cell).to(preps[0]._device())
        self.net_ = train_grouped(net, data, self)
        self.net_.eval()
        self.preps_ = preps
        self.symbols_ = list(pairs)

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        sym = symbols(frame)[0]
        if len(self.symbols_) == 1:
            k = 0
        elif sym in self.symbols_:
            k = self.symbols_.index(sym)
        else:
            raise DataError(
                f"BatchedRnnUniverse: no member for {sym!r}; the members are {self.symbols_}. "
                f"Hint: predict on a frame from engine.data.load (its attrs['symbols'] names the asset)."
            )
        prep = self.preps_[k]
        X, ok = prep._windows(prep._inputs(frame), origins)
        out = np.full(len(origins), np.nan)
        if ok.any():
            out[ok] = prep.y_scale_ * np.exp(_forecast_members(self.net_.member(k), X[ok])[0])
        return out


def train_grouped(net: GroupedRnn, data: dict, spec: _GroupedRnnBase) -> GroupedRnn:
    """Adam on the summed QLIKE of all members, per-member clipping, best weights and patience.

    ``data`` holds ``Xtr``, ``ytr``, ``Xva``, ``yva``: shared by the members
    (shapes (n, time, features) and (n,)) or one block per member (a leading
    n_models axis).
    """
    m = net.w_ih.shape[0]

    dev = net.w_ih.device

    def per_member(key: str, x_dims: int) -> torch.Tensor:
        t = torch.as_tensor(data[key], dtype=torch.float32, device=dev)
        return t.expand(m, *t.shape) if t.dim() == x_dims else t

    Xtr, Xva = per_member("Xtr", 3), per_member("Xva", 3)
    ytr, yva = per_member("ytr", 1), per_member("yva", 1)
    opt = torch.optim.Adam(net.parameters(), lr=spec.lr)
    gen = torch.Generator().manual_seed(spec.shuffle_seed)
    best = torch.full((m,), math.inf, device=dev)
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    bad = torch.zeros(m, dtype=torch.long, device=dev)
    active = torch.ones(m, dtype=torch.bool, device=dev)
    n = Xtr.shape[1]
    for _ in range(spec.epochs):
        net.train()
        perm = torch.randperm(n, generator=gen).to(dev)  # drawn on the CPU: the same order on any device
        for i in range(0, n, spec.batch_size):
            idx = perm[i : i + spec.batch_size]
            opt.zero_grad()
            z = net(Xtr[:, idx])  # (m, batch)
            per_model = torch_loss("qlike", ytr[:, idx], torch.exp(z), log_f=z, reduce=False).mean(dim=1)
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
            val = torch_loss("qlike", yva, torch.exp(z), log_f=z, reduce=False).mean(dim=1)
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
