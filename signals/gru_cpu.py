r"""A GRU layer fused for the CPU: one call forward and one backward per layer and sequence.

PyTorch runs a CPU GRU one time step at a time through about ten ATen calls
forward and twenty autograd nodes backward (its fused mkldnn kernel covers only
the LSTM), so a network of the default size spends most of its training time
dispatching small calls. :func:`gru_layer` runs a one-layer, batch-first
``nn.GRU`` through ``gru_cpu.cpp`` instead: the input projections of all steps
in one matrix product, each step one matrix product and one vectorised loop over
the gates, and each weight's gradient over all steps in one matrix product.

.. math::

    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

the equations, weights and gate order of ``torch.nn.GRU``, from a zero initial
state; its outputs and gradients equal ``nn.GRU``'s to float32 rounding
(``tests/signals/test_gru_cpu.py``). It applies to float32 tensors on the CPU;
anything else (float64 inference, CUDA, an ``nn.GRU`` of several layers) runs
``nn.GRU`` itself.

The C++ source is compiled for the machine on first use (about 30 s, once: the
build is cached by ``torch.utils.cpp_extension`` under ``TORCH_EXTENSIONS_DIR``,
named by the instruction set it targets so that a cache shared by different
machines stays safe). Where it cannot be built (no C++ compiler), one warning
says so and ``nn.GRU`` runs. ``TRADECAST_FUSED_GRU=0`` turns it off, to compare
with ``nn.GRU`` or to rule it out.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn
from torch.autograd.function import once_differentiable

__all__ = ["ENV_SWITCH", "fused_gru_available", "gru_layer"]

#: Environment variable that turns the fused kernel off when set to ``0``.
ENV_SWITCH = "TRADECAST_FUSED_GRU"
_SOURCE = Path(__file__).with_name("gru_cpu.cpp")


def _target() -> tuple[str, list[str]]:
    """The instruction set to compile for, named, and its compiler flags.

    AVX2 with FMA where torch itself runs AVX2 or AVX-512 kernels (AVX-512 gains
    nothing here: the gate loops are 64 wide), the compiler's default otherwise.
    ``-fno-trapping-math`` lets the branch-free gate loops vectorise.
    """
    capability = torch.backends.cpu.get_cpu_capability()
    if capability in ("AVX2", "AVX512"):
        return "avx2", ["-O3", "-mavx2", "-mfma", "-fno-trapping-math"]
    return "base", ["-O3", "-fno-trapping-math"]


#: One build or load at a time in a process: the minibatch shards of a pooled fit run in threads.
_BUILD_LOCK = threading.Lock()


def _extension() -> ModuleType | None:
    """The compiled kernel, built on first use; None where it is switched off (read at each call)
    or cannot be built.
    """
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return None
    with _BUILD_LOCK:
        return _build()


@functools.cache
def _build() -> ModuleType | None:
    """Build (or load the cached build of) the kernel, once a process; None, with one warning,
    where it cannot be built.
    """
    from torch.utils import cpp_extension

    tag, flags = _target()
    name = f"tradecast_gru_cpu_{tag}"
    try:
        built = Path(cpp_extension._get_build_directory(name, verbose=False)) / f"{name}.so"
        if not built.exists() or built.stat().st_mtime < _SOURCE.stat().st_mtime:  # torch will (re)build it
            print(
                f"tradecast: compiling the fused CPU GRU kernel ({tag}; once per machine, about 30 s)", file=sys.stderr
            )
    except (AttributeError, OSError):  # a private helper of torch's: only the message depends on it
        pass
    try:
        return cpp_extension.load(name, [str(_SOURCE)], extra_cflags=flags, verbose=False)
    except Exception as exc:  # no compiler, no ninja, a failed build: nn.GRU still works
        warnings.warn(
            f"the fused CPU GRU kernel could not be built ({type(exc).__name__}: {str(exc)[:200]}); "
            f"GRU layers run torch.nn.GRU, up to twice as slow to train on the CPU. "
            f"Hint: install a C++ compiler and ninja, or set {ENV_SWITCH}=0 to silence this.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def fused_gru_available() -> bool:
    """Whether the fused kernel is on and built (building it on first call)."""
    return _extension() is not None


class _FusedGru(torch.autograd.Function):
    """One GRU layer over whole sequences; one autograd node."""

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor
    ) -> torch.Tensor:
        ext = _extension()
        assert ext is not None  # gru_layer checked
        out, *saved = ext.forward(x, w_ih, w_hh, b_ih, b_hh, True)
        ctx.save_for_backward(x, w_ih, w_hh, *saved)
        return out

    @staticmethod
    @once_differentiable  # the backward pass is not itself differentiable: say so rather than be wrong
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        ext = _extension()
        assert ext is not None
        x, w_ih, w_hh, *saved = ctx.saved_tensors
        return tuple(ext.backward(grad_out.contiguous(), x, w_ih, w_hh, *saved, ctx.needs_input_grad[0]))


def _cpu_autocast() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4 names it apart
        return torch.is_autocast_cpu_enabled()


def _fusable(layer: nn.GRU, x: torch.Tensor) -> bool:
    return (
        x.device.type == "cpu"
        and x.dtype == torch.float32
        and x.dim() == 3
        and layer.num_layers == 1
        and layer.batch_first
        and layer.bias
        and not layer.bidirectional
        and layer.proj_size == 0
        and layer.all_weights[0][0].dtype == torch.float32
        and _extension() is not None
    )


def gru_layer(layer: nn.GRU, x: torch.Tensor) -> torch.Tensor:
    """The outputs of ``layer`` on ``x`` from a zero state, shape (batch, time, hidden).

    Parameters
    ----------
    layer : torch.nn.GRU
        Its weights and settings; fused when it has one layer, biases, one direction and
        ``batch_first=True``, and ``x`` is float32 on the CPU.
    x : torch.Tensor, shape (batch, time, inputs)

    Returns
    -------
    torch.Tensor, shape (batch, time, hidden)
        What ``layer(x)[0]`` returns, to float32 rounding.
    """
    if x.device.type == "cpu" and _cpu_autocast():
        # The kernel is float32 only (it stopped with "expected scalar type Float but found
        # BFloat16" under bf16 autocast): the recurrence stays float32, the layers around it do not.
        with torch.autocast("cpu", enabled=False):
            return gru_layer(layer, x.float())
    if not _fusable(layer, x):
        return layer(x)[0]
    x = x.contiguous()
    weights = layer.all_weights[0]  # w_ih, w_hh, b_ih, b_hh
    if torch.is_grad_enabled() and (x.requires_grad or any(w.requires_grad for w in weights)):
        return _FusedGru.apply(x, *weights)
    ext = _extension()
    assert ext is not None
    return ext.forward(x, *(w.detach() for w in weights), False)[0]
