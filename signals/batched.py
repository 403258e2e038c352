r"""Many small recurrent networks trained as one: grouped weights instead of a Python loop.

``torch.func.vmap`` has no batching rule for ``aten::gru`` / ``aten::lstm``, so
the cells are written out with batched matrix products over a leading *model*
axis: ``M`` networks of hidden size ``H`` hold weights of shape ``(M, 3H, I)``
(GRU) or ``(M, 4H, I)`` (LSTM) and step through time together. The gate
equations are PyTorch's own (gate order r, z, n for the GRU and i, f, g, o for
the LSTM), so a grouped cell loaded with an ``nn.GRU``'s weights gives its
outputs (a test checks it).

Training is :func:`signals.training.train_members`, the loop of the single
:class:`signals.rnn.RnnForecaster`: each member has its own parameters, Adam,
clipping, learning-rate schedule and early stopping, so training ``M`` members
at once equals training each alone with the same data order (a test checks it);
inputs and targets are prepared by :mod:`signals.sequences`, as for the single
network. The grouped cells stack layers as ``RnnForecaster`` does (``hidden=(64,
32)``). Two forecasters use them:

* :class:`BatchedRnnEnsemble`: seeds of one network on one asset (the members
  share their inputs); it forecasts the mean of the members' variances;
* :class:`BatchedRnnUniverse`: one network per asset of a universe (each member
  reads its own asset), the batched twin of fitting an ``RnnForecaster`` per
  asset; ``walk_forward(..., pooled=True)`` trains each fold's members at once.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import cast

import numpy as np
import pandas as pd
import torch
from torch import nn
from typing_extensions import override

from core.checks import check_choice, check_int, check_number, check_sizes
from core.errors import DataError, ParameterError, TradecastDeprecationWarning
from signals.base import BaseForecaster
from signals.features import symbols
from signals.losses import torch_loss
from signals.rnn import Device, RnnForecaster
from signals.rnn_net import RnnNet, init_network, resolve_device, window_averages
from signals.sequences import SequenceScaler, sliding_windows, training_samples
from signals.training import LrSchedule, train_members

__all__ = ["BatchedRnnEnsemble", "BatchedRnnUniverse", "GroupedRnn"]

_GATES = {"gru": 3, "lstm": 4}


class _Member(nn.Module):
    """One member's weights: per layer the four PyTorch RNN tensors, a linear head, a skip path."""

    def __init__(self, n_inputs: int, hidden: tuple[int, ...], cell: str, skip: bool) -> None:
        super().__init__()
        g = _GATES[cell]
        sizes = (n_inputs, *hidden)

        def p(*shape: int, bound: float) -> nn.Parameter:
            return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))

        self.w_ih = nn.ParameterList(p(g * h, i, bound=1 / math.sqrt(h)) for i, h in zip(sizes, hidden, strict=False))
        self.w_hh = nn.ParameterList(p(g * h, h, bound=1 / math.sqrt(h)) for h in hidden)
        self.b_ih = nn.ParameterList(p(g * h, bound=1 / math.sqrt(h)) for h in hidden)
        self.b_hh = nn.ParameterList(p(g * h, bound=1 / math.sqrt(h)) for h in hidden)
        self.w_out = p(hidden[-1], bound=1 / math.sqrt(hidden[-1]))
        self.b_out = nn.Parameter(torch.zeros(()))
        self.w_skip = nn.Parameter(torch.zeros(3 * n_inputs)) if skip else None


class GroupedRnn(nn.Module):
    """``n_models`` stacked GRUs or LSTMs with a linear head each, run together.

    Input ``x`` of shape (batch, time, features) is shared by every model, or of
    shape (n_models, batch, time, features) gives each its own; the output has
    shape (n_models, batch). ``hidden`` gives the units per layer, first to last,
    as in :class:`signals.rnn.RnnForecaster`; ``dropout`` acts between layers and
    before the head. With ``skip=True`` each model also has
    :class:`signals.rnn.RnnNet`'s linear path from the inputs' averages over the
    last 1, 5 and all time steps. Each model's parameters are its own tensors
    (``members[k]``), so that each can have its own optimiser and schedule; the
    forward pass stacks them into batched matrix products.
    """

    def __init__(
        self,
        n_models: int,
        n_inputs: int,
        hidden: int | tuple[int, ...],
        cell: str,
        skip: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.cell = cell
        self.hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
        self.members = nn.ModuleList(_Member(n_inputs, self.hidden, cell, skip) for _ in range(n_models))
        self.drop = nn.Dropout(dropout)

    @classmethod
    def from_nets(cls, nets: list[RnnNet], cell: str) -> GroupedRnn:
        """Stack attention-free :class:`signals.rnn.RnnNet` networks (any number of layers)."""
        if any(n.attention for n in nets):
            raise ParameterError("GroupedRnn: attention networks cannot be grouped. Hint: attention=False.")
        first = nets[0]
        hidden = tuple(layer.hidden_size for layer in first.rnn_layers())
        n_inputs = first.rnn_layers()[0].input_size
        g = cls(len(nets), n_inputs, hidden, cell, skip=first.skip is not None, dropout=first.drop.p)
        with torch.no_grad():
            for member, net in zip(g.member_modules(), nets, strict=True):
                for li, layer in enumerate(net.rnn_layers()):
                    member.w_ih[li].copy_(layer.weight_ih_l0)
                    member.w_hh[li].copy_(layer.weight_hh_l0)
                    member.b_ih[li].copy_(layer.bias_ih_l0)
                    member.b_hh[li].copy_(layer.bias_hh_l0)
                member.w_out.copy_(net.head.weight[0])
                member.b_out.copy_(net.head.bias[0])
                if member.w_skip is not None and net.skip is not None:
                    member.w_skip.copy_(net.skip.weight[0])
        return g

    def member(self, k: int) -> GroupedRnn:
        """Model ``k`` alone, as a group of one (a copy)."""
        one = copy.deepcopy(self)
        one.members = nn.ModuleList([one.members[k]])
        return one

    def member_modules(self) -> list[_Member]:
        """Each model's weights."""
        return cast(list[_Member], list(self.members))

    def member_parameters(self) -> list[list[nn.Parameter]]:
        """Each model's parameters, for per-model optimisers."""
        return [list(m.parameters()) for m in self.members]

    def _stack(self, name: str, layer: int | None = None) -> torch.Tensor:
        if layer is None:
            return torch.stack([getattr(m, name) for m in self.members])
        return torch.stack([getattr(m, name)[layer] for m in self.members])

    def _layer(self, x: torch.Tensor, li: int) -> torch.Tensor:
        """One layer over time: (m, B, T, in) to the hidden states (m, B, T, H)."""
        m, B, T, _ = x.shape
        H = self.hidden[li]
        w_ih, w_hh, b_ih, b_hh = (self._stack(n, li) for n in ("w_ih", "w_hh", "b_ih", "b_hh"))
        xi = torch.einsum("mbti,mgi->mbtg", x, w_ih) + b_ih[:, None, None, :]
        h = x.new_zeros(m, B, H)
        c = x.new_zeros(m, B, H)
        w_hh_t = w_hh.transpose(1, 2)
        states = []
        for t in range(T):
            gh = torch.baddbmm(b_hh[:, None, :], h, w_hh_t)
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
            states.append(h)
        return torch.stack(states, dim=2)

    @override
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = len(self.members)
        if x.dim() == 3:
            x = x.expand(m, *x.shape)
        inputs = x
        for li in range(len(self.hidden)):
            x = self._layer(x, li)
            if li < len(self.hidden) - 1:
                x = self.drop(x)
        last = self.drop(x[:, :, -1])
        out = torch.einsum("mbh,mh->mb", last, self._stack("w_out")) + self._stack("b_out")[:, None]
        if self.members[0].w_skip is not None:
            out = out + torch.einsum("mbj,mj->mb", window_averages(inputs), self._stack("w_skip"))
        return out


def _qlike_per_member(y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    return torch_loss("qlike", y, torch.exp(z), log_f=z, reduce=False).mean(dim=1)


class _GroupedRnnBase(BaseForecaster):
    """Hyperparameters, checks, data preparation and training shared by the grouped forecasters."""

    supported_targets = ("variance",)
    relative_cost = 1000.0
    net_: GroupedRnn

    # Declared for the type checker; set in each subclass's __init__.
    cell: str
    hidden: tuple[int, ...]
    dropout: float
    seq_len: int
    features: tuple[str, ...]
    epochs: int
    patience: int
    lr: float
    weight_decay: float
    grad_clip: float | None
    batch_size: int
    val_fraction: float
    lr_schedule: LrSchedule
    lr_factor: float
    shuffle_seed: int
    skip: bool
    device: Device

    @override
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    def _hidden(self) -> tuple[int, ...]:
        return (self.hidden,) if isinstance(self.hidden, int) else tuple(self.hidden)

    def _check_params(self) -> None:
        who = type(self).__name__
        check_choice(who, "cell", self.cell, ("lstm", "gru"))
        if isinstance(self.hidden, int) and not isinstance(self.hidden, bool):
            warnings.warn(
                f"{who}: hidden={self.hidden} (an int) is deprecated; give the units per layer as a tuple, "
                f"hidden=({self.hidden},), as RnnForecaster takes them.",
                TradecastDeprecationWarning,  # the project's own: the command line shows it
                stacklevel=4,
            )
        else:
            check_sizes(who, "hidden", self.hidden, hint="(32,) or (64, 32).")
        for n in ("seq_len", "epochs", "patience", "batch_size"):
            check_int(who, n, getattr(self, n), 1)
        check_number(who, "lr", self.lr, lambda v: v > 0, "a positive number")
        self._template().validate_params()

    def _template(self, seed: int = 0) -> RnnForecaster:
        """The single network each member is, for its parameter checks."""
        return RnnForecaster(
            cell=self.cell,  # type: ignore[arg-type]
            hidden=self._hidden(),
            dropout=self.dropout,
            seq_len=self.seq_len,
            features=tuple(self.features),
            epochs=self.epochs,
            patience=self.patience,
            lr=self.lr,
            weight_decay=self.weight_decay,
            grad_clip=self.grad_clip,
            batch_size=self.batch_size,
            val_fraction=self.val_fraction,
            horizon=self.horizon,
            seed=seed,
            skip=self.skip,
            device=self.device,
            lr_schedule=self.lr_schedule,
            lr_factor=self.lr_factor,
        )

    def _columns(self) -> list[str]:
        return self._template()._columns()

    def _prepare(self, frame: pd.DataFrame, y: pd.Series) -> tuple[SequenceScaler, tuple[np.ndarray, ...]]:
        scaler, s = training_samples(
            [(frame, y)],
            features=tuple(self.features),
            seq_len=self.seq_len,
            horizon=self.horizon,
            val_fraction=self.val_fraction,
            batch_size=self.batch_size,
            variance=True,
            who=type(self).__name__,
        )
        return scaler, (np.asarray(s.Xtr), s.ytr, np.asarray(s.Xva), s.yva)

    def _init(self, seed: int, scaler: SequenceScaler) -> RnnNet:
        return init_network(
            seed,
            features=tuple(self.features),
            cell=self.cell,
            hidden=self._hidden(),
            dropout=self.dropout,
            attention=False,
            skip=self.skip,
            scaler=scaler,
            variance=True,
        )

    def _train(self, nets: list[RnnNet], data: tuple[np.ndarray, ...]) -> None:
        device = resolve_device(self.device)
        net = GroupedRnn.from_nets(nets, self.cell).to(device)
        tensors = tuple(torch.as_tensor(a, dtype=torch.float32, device=device) for a in data)
        # the single network's rules, with this group's minibatch order
        spec = dataclasses.replace(self._template().train_spec(), shuffle_seed=self.shuffle_seed)
        trained = train_members(net, net.member_parameters(), [net], tensors, _qlike_per_member, spec)  # type: ignore[arg-type]
        self.net_ = net.eval()
        self.histories_ = trained.histories
        self.best_epoch_ = int(np.median(trained.best_epochs))
        self.history_ = trained.histories[0]


def _forecast_members(net: GroupedRnn, X: np.ndarray) -> np.ndarray:
    """Log-variance forecasts (scaled) in float64, shape (n_models, n)."""
    net64 = copy.deepcopy(net).double()
    device = next(net.parameters()).device
    with torch.no_grad():
        return net64(torch.as_tensor(X, dtype=torch.float64, device=device)).cpu().numpy()


class BatchedRnnEnsemble(_GroupedRnnBase):
    """An ensemble of LSTMs or GRUs, one per seed, trained in one grouped model.

    Each member starts exactly as ``RnnForecaster(seed=s)`` would; all members
    see the same minibatches (shuffled by ``shuffle_seed``) and keep their own
    optimiser, learning-rate schedule, best validation weights and patience
    (:mod:`signals.training`, the single network's loop). The forecast is the
    mean of the members' variance forecasts. Inputs, scaling, validation split
    and the skip path are :class:`signals.rnn.RnnForecaster`'s
    (:mod:`signals.sequences`).

    Parameters
    ----------
    seeds : tuple of int, default (0, 1, 2, 3, 4)
    cell : {"lstm", "gru"}, default "gru"
    hidden : tuple of int, default (32,)
        Units per stacked layer, as in ``RnnForecaster`` (an int is a deprecated spelling of a one-layer tuple).
    dropout, seq_len, features, epochs, patience, lr, weight_decay, grad_clip, batch_size, val_fraction, horizon,
    skip, device, lr_schedule, lr_factor
        As in :class:`signals.rnn.RnnForecaster`.
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.

    Attributes
    ----------
    histories_ : list of DataFrame, each member's training history (``history_`` is the first's)
    best_epoch_ : int, the median of the members' best epochs
    """

    def __init__(
        self,
        *,
        seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
        cell: str = "gru",
        hidden: tuple[int, ...] = (32,),
        dropout: float = 0.0,
        seq_len: int = 20,
        features: tuple[str, ...] = ("rv", "return", "volume_ratio"),
        epochs: int = 30,
        patience: int = 5,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        batch_size: int = 64,
        val_fraction: float = 0.2,
        shuffle_seed: int = 0,
        horizon: int = 1,
        skip: bool = True,
        device: Device = "auto",
        lr_schedule: LrSchedule = "plateau",
        lr_factor: float = 0.5,
    ) -> None:
        self.seeds = seeds
        self.shuffle_seed = shuffle_seed
        self.cell = cell
        self.hidden = hidden
        self.dropout = dropout
        self.seq_len = seq_len
        self.features = features
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.horizon = horizon
        self.skip = skip
        self.device = device
        self.lr_schedule = lr_schedule
        self.lr_factor = lr_factor

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
        scaler, data = self._prepare(frame, y)  # shared by the members: one asset
        self.scaler_ = scaler
        self._train([self._init(s, scaler) for s in self.seeds], data)

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        X, ok = sliding_windows(self.scaler_.inputs(frame), origins, self.seq_len)
        out = np.full(len(origins), np.nan)
        if ok.any():
            out[ok] = self.scaler_.y_scale * np.exp(_forecast_members(self.net_, X[ok])).mean(axis=0)
        return out


class BatchedRnnUniverse(_GroupedRnnBase):
    """One LSTM or GRU per asset of a universe, trained as one grouped model.

    ``fit_pooled(frames)`` equals fitting this forecaster on each asset's frame
    alone (same seed, same minibatch order; a test checks it), in one grouped
    model instead of a loop: with ``walk_forward(..., pooled=True)`` every fold
    trains the whole universe at once. Each member has its own scalers,
    optimiser, learning-rate schedule, early stopping and best weights, as an
    ``RnnForecaster`` per asset would. The assets must give the same number of
    training samples (one calendar). ``predict`` picks the member by the frame's
    symbol (``attrs["symbols"]``, set by :func:`engine.data.load`).

    Parameters
    ----------
    cell : {"lstm", "gru"}, default "gru"
    hidden : tuple of int, default (32,)
        Units per stacked layer, as in ``RnnForecaster`` (an int is a deprecated spelling of a one-layer tuple).
    dropout, seq_len, features, epochs, patience, lr, weight_decay, grad_clip, batch_size, val_fraction, horizon,
    skip, seed, device, lr_schedule, lr_factor
        As in :class:`signals.rnn.RnnForecaster`.
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.

    Attributes
    ----------
    symbols_ : list of str, the members' assets
    scalers_ : list of SequenceScaler, the members' input and target scaling
    histories_ : list of DataFrame, each member's training history
    """

    supports_pooling = True

    def __init__(
        self,
        *,
        cell: str = "gru",
        hidden: tuple[int, ...] = (32,),
        dropout: float = 0.0,
        seq_len: int = 20,
        features: tuple[str, ...] = ("rv", "return", "volume_ratio"),
        epochs: int = 30,
        patience: int = 5,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        batch_size: int = 64,
        val_fraction: float = 0.2,
        horizon: int = 1,
        skip: bool = True,
        device: Device = "auto",
        seed: int = 0,
        shuffle_seed: int = 0,
        lr_schedule: LrSchedule = "plateau",
        lr_factor: float = 0.5,
    ) -> None:
        self.cell = cell
        self.hidden = hidden
        self.dropout = dropout
        self.seq_len = seq_len
        self.features = features
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.horizon = horizon
        self.skip = skip
        self.device = device
        self.seed = seed
        self.shuffle_seed = shuffle_seed
        self.lr_schedule = lr_schedule
        self.lr_factor = lr_factor

    @property
    @override
    def name(self) -> str:
        return f"{self.cell}-universe"

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: BaseForecaster | None = None) -> None:
        self._fit_members({symbols(frame)[0]: (frame, y)})

    def _fit_pooled(
        self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]], warm_start: BatchedRnnUniverse | None
    ) -> None:
        """One member per asset, all in one grouped model (see ``fit_pooled``)."""
        self._fit_members(pairs)

    def _fit_members(self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]]) -> None:
        prepared = [self._prepare(frame, y) for frame, y in pairs.values()]
        shapes = {sym: (len(data[0]), len(data[2])) for sym, (_, data) in zip(pairs, prepared, strict=True)}
        if len(set(shapes.values())) > 1:
            raise DataError(
                f"BatchedRnnUniverse: the assets give different numbers of (training, validation) samples, {shapes}; "
                "a grouped model needs one calendar. Hint: align the frames on common dates, or fit RnnForecaster "
                "per asset (pooled=False)."
            )
        data = tuple(np.stack([d[i] for _, d in prepared]) for i in range(4))  # one block per member
        self.scalers_ = [scaler for scaler, _ in prepared]
        self._train([self._init(self.seed, scaler) for scaler in self.scalers_], data)
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
        scaler = self.scalers_[k]
        X, ok = sliding_windows(scaler.inputs(frame), origins, self.seq_len)
        out = np.full(len(origins), np.nan)
        if ok.any():
            out[ok] = scaler.y_scale * np.exp(_forecast_members(self.net_.member(k), X[ok])[0])
        return out
