"""One training loop for every network: a single one, or many trained together.

:func:`train_members` trains ``M`` *members* (one network, or the members of a
grouped network that share one forward pass) with the same rules for each:

* Adam with ``lr`` and ``weight_decay``, one optimiser per member;
* the gradient norm clipped to ``grad_clip`` per member;
* with ``lr_schedule="plateau"``, each member's learning rate multiplied by
  ``lr_factor`` after ``max(1, patience // 2)`` epochs without improvement
  (PyTorch's ``ReduceLROnPlateau``, one per member);
* early stopping per member after ``patience`` epochs without a validation
  improvement, and each member's best weights restored at the end;
* one minibatch order for all members, drawn on the CPU from ``shuffle_seed``
  (so the same order on any device).

Because every rule is per member, training ``M`` members at once equals
training each alone with the same data order (up to float32 rounding of the
batched kernels); ``tests/signals/test_batched.py`` checks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch
from torch import nn

__all__ = ["LrSchedule", "TrainSpec", "TrainedMembers", "train_members"]

LrSchedule = Literal["plateau", "constant"]

#: A forward pass: inputs of a minibatch to outputs of shape (n_members, batch).
Forward = Callable[[torch.Tensor], torch.Tensor]
#: Per-member loss: (targets, outputs), both (n_members, batch), to shape (n_members,).
MemberLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainSpec:
    """How to train: the optimiser, its schedule, early stopping and the minibatch order."""

    epochs: int = 60
    patience: int = 8
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float | None = 1.0
    batch_size: int = 64
    lr_schedule: LrSchedule = "plateau"
    lr_factor: float = 0.5
    shuffle_seed: int = 0


@dataclass
class TrainedMembers:
    """What training found, per member.

    Attributes
    ----------
    histories : list of DataFrame, per member and epoch: train_loss, val_loss, lr (index ``epoch`` from 1)
    best_epochs : list of int, the epoch whose weights each member keeps
    """

    histories: list[pd.DataFrame]
    best_epochs: list[int]


def _per_member(x: torch.Tensor, m: int, sample_dim: int) -> torch.Tensor:
    """``x`` with a leading member axis: shared samples are expanded (a view, no copy)."""
    return x.expand(m, *x.shape) if x.dim() == sample_dim else x


def train_members(
    forward: Forward,
    members: Sequence[Sequence[nn.Parameter]],
    modules: Sequence[nn.Module],
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    loss: MemberLoss,
    spec: TrainSpec,
) -> TrainedMembers:
    """Train the members' parameters on ``data`` and restore each member's best weights.

    Parameters
    ----------
    forward : callable
        Minibatch inputs to outputs of shape (n_members, batch).
    members : list of lists of Parameter
        Each member's parameters: its own optimiser, clipping, schedule and stop.
    modules : list of Module
        Switched between ``train()`` and ``eval()`` (dropout).
    data : (Xtr, ytr, Xva, yva)
        Inputs of shape (n, time, features), shared by the members, or
        (n_members, n, time, features), one block each; targets (n,) or (n_members, n).
    loss : callable
        Per-member mean loss over a minibatch, shape (n_members,).
    spec : TrainSpec

    Returns
    -------
    TrainedMembers
    """
    m = len(members)
    Xtr, ytr, Xva, yva = data
    Xtr_m, Xva_m = _per_member(Xtr, m, 3), _per_member(Xva, m, 3)
    ytr_m, yva_m = _per_member(ytr, m, 1), _per_member(yva, m, 1)
    n_train = Xtr_m.shape[1]
    device = Xtr.device
    opts = [torch.optim.Adam(list(ps), lr=spec.lr, weight_decay=spec.weight_decay) for ps in members]
    scheds = [
        torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=spec.lr_factor, patience=max(1, spec.patience // 2))
        if spec.lr_schedule == "plateau"
        else None
        for o in opts
    ]
    gen = torch.Generator().manual_seed(spec.shuffle_seed)
    best = [math.inf] * m
    best_state = [[p.detach().clone() for p in ps] for ps in members]
    bad = [0] * m
    active = [True] * m
    rows: list[list[tuple[int, float, float, float]]] = [[] for _ in range(m)]
    for epoch in range(1, spec.epochs + 1):
        for mod in modules:
            mod.train()
        perm = torch.randperm(n_train, generator=gen).to(device)  # drawn on the CPU: the same order on any device
        totals = np.zeros(m)
        live = [k for k in range(m) if active[k]]
        mask = torch.tensor(active, device=device)
        for i in range(0, n_train, spec.batch_size):
            idx = perm[i : i + spec.batch_size]
            for k in live:
                opts[k].zero_grad()
            per_member = loss(ytr_m[:, idx], forward(Xtr_m[:, idx]))
            per_member[mask].sum().backward()
            for k in live:
                if spec.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(members[k], spec.grad_clip)
                opts[k].step()
            totals += per_member.detach().cpu().numpy().astype(float) * len(idx)
        for mod in modules:
            mod.eval()
        with torch.no_grad():
            val = loss(yva_m, forward(Xva_m)).cpu().numpy().astype(float)
        for k in live:
            rows[k].append((epoch, totals[k] / n_train, float(val[k]), opts[k].param_groups[0]["lr"]))
            sched = scheds[k]
            if sched is not None:
                sched.step(float(val[k]))
            if val[k] < best[k] - 1e-7:
                best[k], bad[k] = float(val[k]), 0
                best_state[k] = [p.detach().clone() for p in members[k]]
            else:
                bad[k] += 1
                if bad[k] >= spec.patience:
                    active[k] = False
        if not any(active):
            break
    with torch.no_grad():
        for ps, saved in zip(members, best_state, strict=True):
            for p, s in zip(ps, saved, strict=True):
                p.copy_(s)
    histories = [pd.DataFrame(r, columns=["epoch", "train_loss", "val_loss", "lr"]).set_index("epoch") for r in rows]
    return TrainedMembers(histories, [int(h["val_loss"].idxmin()) for h in histories])
