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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
import torch
from torch import nn
from typing_extensions import override

from core.checks import check_int
from core.errors import DataError, ParameterError
from core.evaluation.losses import torch_loss
from signals.base import BaseForecaster
from signals.features import symbols
from signals.rnn import RnnForecaster
from signals.rnn_net import RnnNet, resolve_device, window_averages
from signals.sequences import SequenceScaler, sliding_windows, training_samples
from signals.training import train_members

__all__ = ["GROUPED_DEFAULTS", "BatchedRnnEnsemble", "BatchedRnnUniverse", "GroupedRnn", "default_net"]

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


#: Where a grouped model's network differs from ``RnnForecaster()``'s defaults (the grouped
#: models' own defaults before they took a network).
GROUPED_DEFAULTS: dict[str, Any] = {"cell": "gru", "hidden": (32,), "epochs": 30, "patience": 5}


def default_net() -> RnnForecaster:
    """The network a grouped model stands for when none is given: a GRU(32), 30 epochs,
    patience 5 (:data:`GROUPED_DEFAULTS`).
    """
    return RnnForecaster(**GROUPED_DEFAULTS)


@dataclass(kw_only=True, eq=False, repr=False)
class _GroupedRnnBase(BaseForecaster):
    """A grouped model of copies of one network (``net``, an :class:`signals.rnn.RnnForecaster`):
    its checks, data preparation and training; each member is that network, trained by
    its rules (:meth:`signals.rnn.RnnForecaster.train_spec`) with this group's minibatch order.
    """

    supported_targets = ("variance",)
    relative_cost = 1000.0
    #: ``net`` is a forecaster built from a config sub-table (type rnn).
    components: ClassVar[dict[str, str]] = {"net": "rnn"}
    #: A config table's network keys beside the group's own (the spelling before ``net``) go into
    #: ``net``, with a deprecation warning.
    flat_component: ClassVar[str] = "net"
    #: The network's values such a table meant where it did not set them.
    flat_defaults: ClassVar[dict[str, Any]] = GROUPED_DEFAULTS
    net: RnnForecaster = field(default_factory=default_net)
    shuffle_seed: int = 0
    net_: GroupedRnn = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.net is None:  # None has always meant the default network
            self.net = default_net()

    @property
    def horizon(self) -> int:  # type: ignore[override]
        """The network's horizon."""
        return int(self.net.horizon)

    @property
    def seq_len(self) -> int:
        """The network's window length."""
        return int(self.net.seq_len)

    @property
    def cell(self) -> str:
        """The network's cell ("lstm" or "gru")."""
        return str(self.net.cell)

    @override
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    def _check_params(self) -> None:
        who = type(self).__name__
        if not isinstance(self.net, RnnForecaster):
            raise ParameterError(
                f"{who}: net must be an RnnForecaster, the network each member is; got {type(self.net).__name__}. "
                "Hint: net=RnnForecaster(cell='gru', hidden=(32,))."
            )
        self.net.validate_params()
        for name, value, allowed in (
            ("attention", self.net.attention, (False,)),
            ("target", self.net.target, ("variance",)),
            ("loss", self.net.loss, ("auto", "qlike")),
        ):
            if value not in allowed:
                raise ParameterError(
                    f"{who}: net.{name}={value!r} is not supported by a grouped model (its members forecast variance "
                    f"with QLIKE, without attention). Hint: net.{name}={allowed[0]!r}, or RnnForecaster alone."
                )
        if self.net.precision != "fp32":
            raise ParameterError(
                f"{who}: net.precision={self.net.precision!r} is not supported by a grouped model: its members "
                "train in float32. Hint: net.precision='fp32', or one RnnForecaster pooled over the assets."
            )
        check_int(who, "shuffle_seed", self.shuffle_seed, 0)

    def _template(self, seed: int) -> RnnForecaster:
        """The single network a member is (seeded ``seed``)."""
        return self.net.clone().set_params(seed=seed)

    def _columns(self) -> list[str]:
        return self.net._columns()

    def _prepare(self, frame: pd.DataFrame, y: pd.Series) -> tuple[SequenceScaler, tuple[np.ndarray, ...]]:
        net = self.net
        scaler, s = training_samples([(frame, y)], **net.window_settings(), variance=True, who=type(self).__name__)
        return scaler, (np.asarray(s.Xtr), s.ytr, np.asarray(s.Xva), s.yva)

    def _init(self, seed: int, scaler: SequenceScaler) -> RnnNet:
        return self.net.new_net(seed, scaler)  # a variance network without attention (checked)

    def _train(self, nets: list[RnnNet], data: tuple[np.ndarray, ...]) -> None:
        device = resolve_device(self.net.device)
        net = GroupedRnn.from_nets(nets, self.cell).to(device)
        tensors = tuple(torch.as_tensor(a, dtype=torch.float32, device=device) for a in data)
        # the single network's rules, with this group's minibatch order
        spec = dataclasses.replace(self.net.train_spec(), shuffle_seed=self.shuffle_seed)
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


@dataclass(kw_only=True, eq=False, repr=False)
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
    net : RnnForecaster, default :func:`default_net` (a GRU(32), 30 epochs, patience 5)
        The network each member is: cell, layers, window, features, training rules
        (epochs, patience, learning rate and schedule, batch, steps an epoch, clipping),
        the skip path and the device. Members forecast variance with QLIKE, without
        attention; its ``seed`` is replaced by each of ``seeds``.
    seeds : tuple of int, default (0, 1, 2, 3, 4)
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.

    Attributes
    ----------
    histories_ : list of DataFrame, each member's training history (``history_`` is the first's)
    best_epoch_ : int, the median of the members' best epochs
    """

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)

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
    symbol (:func:`core.frameinfo.frame_info`, set by :func:`engine.data.load`).

    Parameters
    ----------
    net : RnnForecaster, default :func:`default_net` (a GRU(32), 30 epochs, patience 5)
        The network each asset's member is (as in :class:`BatchedRnnEnsemble`); every
        member starts from its ``seed``.
    shuffle_seed : int, default 0
        Seeds the minibatch order shared by all members.

    Attributes
    ----------
    symbols_ : list of str, the members' assets
    scalers_ : list of SequenceScaler, the members' input and target scaling
    histories_ : list of DataFrame, each member's training history
    """

    supports_pooling = True

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
        self._train([self._init(self.net.seed, scaler) for scaler in self.scalers_], data)
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
                "Hint: predict on a frame from engine.data.load (core.frameinfo.frame_info(frame).symbols names "
                "the asset)."
            )
        scaler = self.scalers_[k]
        X, ok = sliding_windows(scaler.inputs(frame), origins, self.seq_len)
        out = np.full(len(origins), np.nan)
        if ok.any():
            out[ok] = scaler.y_scale * np.exp(_forecast_members(self.net_.member(k), X[ok])[0])
        return out
