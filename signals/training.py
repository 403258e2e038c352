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
  (so the same order on any device);
* with ``max_steps``, at most that many minibatches per epoch: a large
  training set (a pooled universe) gets larger batches and a learning rate
  scaled by the square root of the growth, or a random subset of samples per
  epoch (:meth:`TrainSpec.scaled`);
* on the CPU, a minibatch of at least ``2 * SHARD_SAMPLES`` samples is split
  into shards (:func:`shard_bounds`, fixed by its size alone) whose gradients
  are summed in order; the shards run in as many threads as the task has cores
  (:func:`core.threads.available_cores`), so a pooled network refitted alone
  uses every core and gives the same numbers on one;
* elsewhere (a GPU), a minibatch or validation pass of more than
  :data:`DEVICE_CHUNK` samples runs in chunks of at most that many, one after
  another (:func:`shard_bounds`), gradients summed in order: the device holds
  one chunk's activations, not a pooled universe's whole minibatch.

Because every rule is per member, training ``M`` members at once equals
training each alone with the same data order (up to float32 rounding of the
batched kernels); ``tests/signals/test_batched.py`` checks it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.errors import TrainingError
from core.threads import available_cores

__all__ = [
    "DEVICE_CHUNK",
    "MAX_SHARDS",
    "SHARD_SAMPLES",
    "LrSchedule",
    "Precision",
    "StepRule",
    "TrainSpec",
    "TrainedMembers",
    "in_precision",
    "shard_bounds",
    "train_members",
]

LrSchedule = Literal["plateau", "constant"]
#: How an epoch is capped at ``max_steps`` steps: larger batches, or a random subset of samples.
StepRule = Literal["batch", "sample"]

#: A forward pass: inputs of a minibatch to outputs of shape (n_members, batch).
Forward = Callable[[torch.Tensor], torch.Tensor]
#: The arithmetic of a training forward pass: float32, or bfloat16 where autocast chooses it.
Precision = Literal["fp32", "bf16"]


def in_precision(forward: Forward, precision: Precision, device: torch.device) -> Forward:
    """``forward`` run in ``precision``, its outputs in float32 for the loss.

    "bf16" runs the pass under ``torch.autocast(device.type, dtype=torch.bfloat16)``:
    matrix products, linear layers and the recurrent layers autocast lists (on the CPU,
    the LSTM through mkldnn) compute in bfloat16 with float32 weights; the fused CPU GRU
    stays float32 (:func:`signals.gru_cpu.gru_layer`). The context is entered inside each
    call, so the shards that run in threads get it too (autocast is per thread).
    Gradients and the optimiser stay float32. "fp32" returns ``forward`` itself.
    """
    if precision == "fp32":
        return forward

    def run(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device.type, dtype=torch.bfloat16):
            out = forward(x)
        return out.float()

    return run


#: Per-member loss: (targets, outputs), both (n_members, batch), to shape (n_members,).
MemberLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: ``map``, or a thread pool's: runs a function over shards and yields the results in order.
Runner = Callable[..., Iterator]


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
    max_steps: int | None = None
    step_rule: StepRule = "batch"
    #: Score the starting weights on the validation samples first ("epoch 0") and keep
    #: them unless an epoch beats them: a network that starts at a good forecast (a
    #: hybrid at its baseline, a warm update at the last fit) is never made worse.
    keep_start: bool = False

    def scaled(self, n_train: int) -> tuple[int, float, int]:
        """The minibatch size, learning rate and samples per epoch for ``n_train`` samples.

        With at most ``max_steps * batch_size`` samples (or ``max_steps`` None),
        every epoch walks all samples in batches of ``batch_size`` at ``lr``.
        With more, an epoch is capped at ``max_steps`` steps:

        * ``step_rule="batch"``: the batch grows to ``ceil(n_train / max_steps)``
          and the learning rate by the square root of that growth (the rule that
          keeps Adam's gradient noise about constant; Hoffer, Hubara and Soudry,
          2017); every epoch still sees every sample.
        * ``step_rule="sample"``: batch and learning rate stay; each epoch draws
          ``max_steps * batch_size`` samples at random (a new draw every epoch).
        """
        if self.max_steps is None or n_train <= self.max_steps * self.batch_size:
            return self.batch_size, self.lr, n_train
        if self.step_rule == "sample":
            return self.batch_size, self.lr, self.max_steps * self.batch_size
        batch = math.ceil(n_train / self.max_steps)
        return batch, self.lr * math.sqrt(batch / self.batch_size), n_train


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


#: A CPU minibatch of at least twice this many samples is split into shards (:func:`shard_bounds`).
SHARD_SAMPLES = 256
#: At most this many shards per minibatch.
MAX_SHARDS = 8
#: Off the CPU, a minibatch or validation pass runs in chunks of at most this many samples.
DEVICE_CHUNK = 16384


def shard_bounds(n: int, device: torch.device) -> list[tuple[int, int]]:
    """The shards of a minibatch of ``n`` samples: ``[(start, stop), ...]`` in order.

    On the CPU, ``2**floor(log2(n // SHARD_SAMPLES))`` shards of near-equal size
    (at most :data:`MAX_SHARDS`): one below ``2 * SHARD_SAMPLES`` samples, two
    up to ``4 * SHARD_SAMPLES``, and so on; a power of two so that 2, 4 or 8
    cores share them evenly. A function of ``n`` only, never of the cores,
    because float32 kernels round differently with the batch's size: the cores
    must not change the numbers.

    On other devices (a GPU wants one large batch), one shard up to
    :data:`DEVICE_CHUNK` samples and ``ceil(n / DEVICE_CHUNK)`` near-equal ones
    above, run one after another: a pooled universe's minibatch grows with its
    assets (``max_steps``), and in one piece 3,000 assets' would need gigabytes
    of activations on the device (``benchmarks/device_memory.py``).
    """
    if device.type != "cpu":
        k = max(1, math.ceil(n / DEVICE_CHUNK))
    elif n < 2 * SHARD_SAMPLES:
        k = 1
    else:
        k = min(MAX_SHARDS, 1 << int(math.log2(n // SHARD_SAMPLES)))
    return list(itertools.pairwise([i * n // k for i in range(k + 1)]))


def _draws_random(modules: Sequence[nn.Module]) -> bool:
    """Whether a training forward pass draws random numbers (dropout): then shards
    run one after another, so that the draws come in one order.
    """
    for module in modules:
        for sub in module.modules():
            if isinstance(sub, nn.Dropout) and sub.p > 0:
                return True
            if isinstance(sub, nn.RNNBase) and sub.dropout > 0:
                return True
    return False


def _sharded_step(
    forward: Forward,
    loss: MemberLoss,
    train: tuple[torch.Tensor, torch.Tensor],
    idx: torch.Tensor,
    bounds: list[tuple[int, int]],
    mask: torch.Tensor,
    members: Sequence[Sequence[nn.Parameter]],
    live: list[int],
    run: Runner,
) -> torch.Tensor:
    """One minibatch's loss and gradients as a sum over its shards.

    Each shard's mean loss is weighted by its share of the minibatch, so the sum
    is the minibatch's mean loss; the live members' gradients are summed over the
    shards in order and left in ``.grad`` (as ``backward`` would). Returns the
    per-member loss, shape (n_members,).
    """
    X, y = train
    params = [p for k in live for p in members[k]]
    n = len(idx)

    def one(bound: tuple[int, int]) -> tuple[torch.Tensor, tuple[torch.Tensor | None, ...]]:
        a, b = bound
        part = loss(y[:, idx[a:b]], forward(X[:, idx[a:b]])) * ((b - a) / n)
        return part.detach(), torch.autograd.grad(part[mask].sum(), params, allow_unused=True)

    parts, grads = zip(*run(one, bounds), strict=True)
    for j, p in enumerate(params):
        present = [g[j] for g in grads if g[j] is not None]
        p.grad = functools.reduce(operator.add, present) if present else None  # left to right: one order
    return functools.reduce(operator.add, parts)


def _sharded_forward(forward: Forward, X: torch.Tensor, bounds: list[tuple[int, int]], run: Runner) -> torch.Tensor:
    """``forward(X)`` without gradients, shard by shard, outputs joined in order: (n_members, n).
    ``X`` is indexed (``X[:, a:b]``) even for one shard: windows kept as a panel
    (:class:`signals.sequences.WindowTensor`) are gathered that way.
    """
    if len(bounds) == 1:
        a, b = bounds[0]
        return forward(X[:, a:b])

    def one(bound: tuple[int, int]) -> torch.Tensor:
        with torch.no_grad():  # grad mode is per thread
            return forward(X[:, bound[0] : bound[1]])

    return torch.cat(list(run(one, bounds)), dim=1)


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
        Shared inputs may be a :class:`signals.sequences.WindowTensor`: windows of a
        panel, gathered per minibatch instead of held (the same numbers, the panel's memory).
    loss : callable
        Per-member mean loss over a minibatch, shape (n_members,).
    spec : TrainSpec

    Returns
    -------
    TrainedMembers
    """
    m = len(members)
    Xtr, ytr, Xva, yva = data
    train = (_per_member(Xtr, m, 3), _per_member(ytr, m, 1))
    Xva_m, yva_m = _per_member(Xva, m, 3), _per_member(yva, m, 1)
    n_train = train[0].shape[1]
    device = Xtr.device
    batch_size, lr, per_epoch = spec.scaled(n_train)
    state = _Members.start(members, lr, spec)
    gen = torch.Generator().manual_seed(spec.shuffle_seed)
    # Shards in threads only change who computes them: the same shards, summed in
    # the same order, on one core or several.
    # Off the CPU the shards bound the device's memory: one after another.
    threads = 1 if _draws_random(modules) or device.type != "cpu" else min(available_cores(), MAX_SHARDS)
    with contextlib.ExitStack() as stack:
        run: Runner = map if threads == 1 else stack.enter_context(ThreadPoolExecutor(threads)).map

        def validation() -> np.ndarray:
            for mod in modules:
                mod.eval()
            with torch.no_grad():
                out = _sharded_forward(forward, Xva_m, shard_bounds(Xva_m.shape[1], device), run)
                return loss(yva_m, out).cpu().numpy().astype(float)

        if spec.keep_start:
            state.keep_start(validation())
        for epoch in range(1, spec.epochs + 1):
            for mod in modules:
                mod.train()
            perm = torch.randperm(n_train, generator=gen)[:per_epoch].to(device)  # on the CPU: one order on any device
            live = [k for k in range(m) if state.active[k]]
            totals = _epoch(forward, loss, train, perm, batch_size, state, live, spec.grad_clip, run, epoch)
            state.record(epoch, live, totals / per_epoch, validation(), spec.patience)
            if not any(state.active):
                break
    return state.restored()


@dataclass
class _Members:
    """Each member's optimiser, schedule, best weights and early stopping while training."""

    params: Sequence[Sequence[nn.Parameter]]
    opts: list[torch.optim.Adam]
    scheds: list[torch.optim.lr_scheduler.ReduceLROnPlateau | None]
    best: list[float]
    best_state: list[list[torch.Tensor]]
    bad: list[int]
    active: list[bool]
    rows: list[list[tuple[int, float, float, float]]]

    @classmethod
    def start(cls, members: Sequence[Sequence[nn.Parameter]], lr: float, spec: TrainSpec) -> _Members:
        opts = [torch.optim.Adam(list(ps), lr=lr, weight_decay=spec.weight_decay) for ps in members]
        scheds = [
            torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=spec.lr_factor, patience=max(1, spec.patience // 2))
            if spec.lr_schedule == "plateau"
            else None
            for o in opts
        ]
        m = len(members)
        best_state = [[p.detach().clone() for p in ps] for ps in members]
        return cls(members, opts, scheds, [math.inf] * m, best_state, [0] * m, [True] * m, [[] for _ in range(m)])

    def keep_start(self, val: np.ndarray) -> None:
        """The untrained weights' validation loss is the one to beat (``keep_start``)."""
        for k in range(len(self.params)):
            self.best[k] = float(val[k])
            self.rows[k].append((0, float("nan"), self.best[k], self.opts[k].param_groups[0]["lr"]))

    def record(self, epoch: int, live: list[int], train: np.ndarray, val: np.ndarray, patience: int) -> None:
        """An epoch's losses: the schedules step, better weights are kept, patience runs out."""
        for k in live:
            self.rows[k].append((epoch, float(train[k]), float(val[k]), self.opts[k].param_groups[0]["lr"]))
            sched = self.scheds[k]
            if sched is not None:
                sched.step(float(val[k]))
            if val[k] < self.best[k] - 1e-7:
                self.best[k], self.bad[k] = float(val[k]), 0
                self.best_state[k] = [p.detach().clone() for p in self.params[k]]
            else:
                self.bad[k] += 1
                if self.bad[k] >= patience:
                    self.active[k] = False

    def restored(self) -> TrainedMembers:
        """Each member's best weights put back; the training histories."""
        with torch.no_grad():
            for ps, saved in zip(self.params, self.best_state, strict=True):
                for p, s in zip(ps, saved, strict=True):
                    p.copy_(s)
        histories = [
            pd.DataFrame(r, columns=["epoch", "train_loss", "val_loss", "lr"]).set_index("epoch") for r in self.rows
        ]
        return TrainedMembers(histories, [int(h["val_loss"].idxmin()) for h in histories])


def _epoch(
    forward: Forward,
    loss: MemberLoss,
    train: tuple[torch.Tensor, torch.Tensor],
    perm: torch.Tensor,
    batch_size: int,
    state: _Members,
    live: list[int],
    grad_clip: float | None,
    run: Runner,
    epoch: int,
) -> np.ndarray:
    """One epoch of minibatch steps of the ``live`` members; their summed training losses."""
    Xtr_m, ytr_m = train
    m = len(state.params)
    totals = np.zeros(m)
    mask = torch.tensor(state.active, device=Xtr_m.device)
    for i in range(0, len(perm), batch_size):
        idx = perm[i : i + batch_size]
        for k in live:
            state.opts[k].zero_grad()
        bounds = shard_bounds(len(idx), Xtr_m.device)
        if len(bounds) == 1:
            per_member = loss(ytr_m[:, idx], forward(Xtr_m[:, idx]))
            per_member[mask].sum().backward()
        else:
            per_member = _sharded_step(forward, loss, (Xtr_m, ytr_m), idx, bounds, mask, state.params, live, run)
        for k in live:
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(state.params[k], grad_clip)
            state.opts[k].step()
        step = per_member.detach().cpu().numpy().astype(float)
        gone = [k for k in live if not np.isfinite(step[k])]
        if gone:
            who = f"member {gone[0]}'s loss" if m > 1 else "the loss"
            raise TrainingError(
                f"training diverged: {who} became {step[gone[0]]} in epoch {epoch} at a learning rate of "
                f"{state.opts[gone[0]].param_groups[0]['lr']:g}. Hint: a smaller lr (1e-3 is the default)."
            )
        totals += step * len(idx)
    return totals
