"""The recurrent network of :class:`signals.rnn.RnnForecaster` and its pieces (PyTorch).

Kept apart from the forecaster so that building a forecaster from a config (to
read or re-render a finished run) never imports torch; these are imported when a
network is made, trained or loaded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TypeVar, cast

import numpy as np
import torch
from torch import nn
from typing_extensions import override

from signals.gru_cpu import gru_layer
from signals.sequences import SequenceScaler, WindowTensor

__all__ = ["RnnNet", "init_network", "load_net_state", "resolve_device", "window_averages", "window_chunks"]

M = TypeVar("M", bound=nn.Module)


def resolve_device(device: str) -> torch.device:
    """``"auto"``: CUDA when torch sees a device, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def window_chunks(x: torch.Tensor | WindowTensor, size: int) -> Iterator[torch.Tensor]:
    """The windows of ``x`` (shape (n, length, k)) as tensors of at most ``size`` windows, in order.

    Windows kept as a panel (:class:`signals.sequences.WindowTensor`) are gathered a chunk at a time.
    """
    n = int(x.shape[0])
    for a in range(0, n, size):
        yield x[a : min(a + size, n)]


def window_averages(x: torch.Tensor) -> torch.Tensor:
    """The skip path's inputs: each feature averaged over the last 1, 5 and all
    time steps, shape (..., 3 * features) from (..., time, features).
    """
    return torch.cat([x[..., -1, :], x[..., -5:, :].mean(dim=-2), x.mean(dim=-2)], dim=-1)


class RnnNet(nn.Module):
    """Stacked LSTM/GRU layers (one size each), optional attention over time, a linear head.

    GRU layers run :func:`signals.gru_cpu.gru_layer`: on the CPU in float32, one fused
    call per layer (``nn.GRU``'s numbers to float32 rounding), elsewhere ``nn.GRU``.
    """

    def __init__(
        self, n_inputs: int, cell: str, hidden: tuple[int, ...], dropout: float, attention: bool, skip: bool = False
    ) -> None:
        super().__init__()
        rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
        sizes = (n_inputs, *hidden)
        self.layers = nn.ModuleList(rnn_cls(sizes[i], sizes[i + 1], batch_first=True) for i in range(len(hidden)))
        self.drop = nn.Dropout(dropout)
        self.attention = attention
        if attention:
            self.att_proj = nn.Linear(hidden[-1], hidden[-1])
            self.att_score = nn.Linear(hidden[-1], 1, bias=False)
        self.head = nn.Linear(hidden[-1], 1)
        nn.init.zeros_(self.head.bias)
        self.skip: nn.Linear | None = None
        if skip:
            self.skip = nn.Linear(3 * n_inputs, 1, bias=False)
            nn.init.zeros_(self.skip.weight)

    def rnn_layers(self) -> list[nn.LSTM | nn.GRU]:
        """The recurrent layers, first to last (one ``nn.LSTM`` or ``nn.GRU`` of one layer each)."""
        return cast(list[nn.LSTM | nn.GRU], list(self.layers))

    @override
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        inputs = x
        for i, layer in enumerate(self.layers):
            x = gru_layer(layer, x) if isinstance(layer, nn.GRU) else layer(x)[0]
            if i < len(self.layers) - 1:
                x = self.drop(x)
        weights = None
        if self.attention:
            scores = self.att_score(torch.tanh(self.att_proj(x))).squeeze(-1)
            weights = torch.softmax(scores, dim=1)
            ctx = (weights.unsqueeze(-1) * x).sum(dim=1)
        else:
            ctx = x[:, -1]
        # The output is a level (a log variance near -10): under bfloat16 autocast its last
        # step would round it to 2**-4, 6 % of the variance. The head and skip stay float32.
        with torch.autocast(ctx.device.type, enabled=False):
            dtype = self.head.weight.dtype  # float32 in training, float64 in inference
            out = self.head(self.drop(ctx.to(dtype))).squeeze(-1)
            if self.skip is not None:
                out = out + self.skip(window_averages(inputs.to(dtype))).squeeze(-1)
        return out, weights


def init_network(
    seed: int,
    *,
    features: tuple[str, ...],
    cell: str,
    hidden: tuple[int, ...],
    dropout: float,
    attention: bool,
    skip: bool,
    scaler: SequenceScaler,
    variance: bool,
    persistence: str = "rv",
) -> RnnNet:
    """A freshly initialised network for ``seed``; with ``skip`` on a model of a positive
    scale (``variance``: a variance, or an absolute return) that reads ``persistence``
    (``rv``, or ``abs_return``), its linear path starts at a log-HAR-like persistence forecast.
    """
    torch.manual_seed(seed)
    net = RnnNet(len(features), cell, tuple(hidden), float(dropout), bool(attention), bool(skip))
    if net.skip is not None and variance and persistence in features:
        # Start from a HAR-like persistence forecast in log space (the geometric
        # mean of the series over the last 1, 5 and seq_len days), so forecasts can
        # follow it beyond the training range; the recurrent path learns the correction.
        j, k = list(features).index(persistence), len(features)
        with torch.no_grad():
            for part in range(3):
                net.skip.weight[0, part * k + j] = float(scaler.x_std[j]) / 3
            net.head.bias.fill_(float(scaler.x_mean[j]) - math.log(scaler.y_scale))
    return net


def load_net_state(module: M, state: Mapping[str, np.ndarray]) -> M:
    """``module`` with the weights of a forecaster's ``warm_state`` (``net.<parameter>`` keys), in
    evaluation mode; a missing, extra or misshapen weight raises.
    """
    tensors = {
        k.removeprefix("net."): torch.as_tensor(np.asarray(v, dtype=np.float32))
        for k, v in state.items()
        if k.startswith("net.")
    }
    module.load_state_dict(tensors, strict=True)
    return module.eval()
