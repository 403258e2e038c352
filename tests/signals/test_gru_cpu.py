"""The fused CPU GRU layer against torch.nn.GRU: outputs, gradients, fallbacks, a whole fit."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from signals import gru_cpu
from signals.gru_cpu import fused_gru_available, gru_layer

pytestmark = pytest.mark.skipif(not fused_gru_available(), reason="the fused GRU kernel could not be built here")


def _grads(layer: nn.GRU, x: torch.Tensor, grad_out: torch.Tensor, fused: bool) -> tuple[torch.Tensor, ...]:
    """The outputs and the gradients of x and every weight for one backward pass of ``grad_out``."""
    x = x.detach().clone().requires_grad_(True)
    layer.zero_grad()
    out = gru_layer(layer, x) if fused else layer(x)[0]
    out.backward(grad_out)
    return (out.detach(), x.grad, *(p.grad.clone() for p in layer.parameters()))


@pytest.mark.parametrize(("batch", "time", "inputs", "hidden"), [(64, 20, 4, 64), (7, 3, 5, 13), (1, 1, 2, 1)])
def test_outputs_and_gradients_equal_nn_gru(batch: int, time: int, inputs: int, hidden: int) -> None:
    torch.manual_seed(0)
    layer = nn.GRU(inputs, hidden, batch_first=True)
    x, grad_out = torch.randn(batch, time, inputs), torch.randn(batch, time, hidden)
    ours, theirs = _grads(layer, x, grad_out, True), _grads(layer, x, grad_out, False)
    for name, a, b in zip(("out", "x", "w_ih", "w_hh", "b_ih", "b_hh"), ours, theirs, strict=True):
        assert a.shape == b.shape, name
        assert (a - b).abs().max() <= 1e-6 * max(1.0, b.abs().max().item()), name


def test_as_accurate_as_nn_gru_against_float64() -> None:
    """Against nn.GRU in float64 (the reference), the fused float32 layer errs no more than
    float32 nn.GRU does, give or take float32's rounding of the result (6e-8).
    """
    torch.manual_seed(1)
    layer = nn.GRU(4, 64, batch_first=True)
    x = torch.randn(64, 20, 4) * 3  # large enough to reach tanh's and the sigmoid's tails
    with torch.no_grad():
        ref = nn.GRU(4, 64, batch_first=True).double()
        ref.load_state_dict({k: v.double() for k, v in layer.state_dict().items()})
        exact = ref(x.double())[0]
        fused_err = (gru_layer(layer, x).double() - exact).abs().max().item()
        torch_err = (layer(x)[0].double() - exact).abs().max().item()
    assert fused_err <= 2 * torch_err + 6e-8
    assert fused_err < 1e-6


def test_inference_without_gradients_is_the_same_kernel() -> None:
    torch.manual_seed(2)
    layer = nn.GRU(3, 8, batch_first=True)
    x = torch.randn(5, 6, 3)
    with_graph = gru_layer(layer, x)
    assert with_graph.requires_grad
    with torch.no_grad():
        without = gru_layer(layer, x)
    assert torch.equal(with_graph.detach(), without)


def test_non_contiguous_input_is_read_as_its_values() -> None:
    torch.manual_seed(3)
    layer = nn.GRU(3, 8, batch_first=True)
    x = torch.randn(6, 5, 3).transpose(0, 1)  # (5, 6, 3), not contiguous
    assert torch.equal(gru_layer(layer, x), gru_layer(layer, x.contiguous()))


@pytest.mark.parametrize(
    "make",
    [
        lambda: (nn.GRU(3, 4, batch_first=True).double(), torch.randn(2, 5, 3, dtype=torch.float64)),
        lambda: (nn.GRU(3, 4, num_layers=2, batch_first=True), torch.randn(2, 5, 3)),
        lambda: (nn.GRU(3, 4, batch_first=True, bidirectional=True), torch.randn(2, 5, 3)),
        lambda: (nn.GRU(3, 4, batch_first=False), torch.randn(5, 2, 3)),
        lambda: (nn.GRU(3, 4, batch_first=True, bias=False), torch.randn(2, 5, 3)),
    ],
    ids=["float64", "two-layers", "bidirectional", "time-first", "no-bias"],
)
def test_layers_it_does_not_cover_run_nn_gru_itself(make) -> None:
    layer, x = make()
    assert not gru_cpu._fusable(layer, x)
    assert torch.equal(gru_layer(layer, x), layer(x)[0])


def test_switched_off_or_unbuildable_it_runs_nn_gru(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(4)
    layer, x = nn.GRU(3, 4, batch_first=True), torch.randn(2, 5, 3)
    try:
        monkeypatch.setenv(gru_cpu.ENV_SWITCH, "0")
        assert not fused_gru_available()
        assert torch.equal(gru_layer(layer, x), layer(x)[0])

        gru_cpu._build.cache_clear()
        monkeypatch.setenv(gru_cpu.ENV_SWITCH, "1")

        def fail(*args, **kwargs):
            raise OSError("no compiler here")

        monkeypatch.setattr("torch.utils.cpp_extension.load", fail)
        with pytest.warns(RuntimeWarning, match=r"could not be built \(OSError: no compiler here\).*Hint"):
            assert not fused_gru_available()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # said once a process, not at every layer
            assert torch.equal(gru_layer(layer, x), layer(x)[0])
    finally:
        monkeypatch.undo()
        gru_cpu._build.cache_clear()
    assert fused_gru_available()


def test_a_fitted_forecaster_forecasts_as_with_nn_gru(monkeypatch: pytest.MonkeyPatch) -> None:
    """The done-when of issue 28: the default GRU forecaster, trained through the fused layer
    and through nn.GRU from the same seed, forecasts the same to 1e-6 (relative).
    """
    from signals.rnn import RnnForecaster
    from tests.signals.frames import sp500

    frame = sp500().loc[:"2006-12-31"]
    train, test = frame.loc[:"2005-12-31"], frame.loc["2006-01-01":].index

    def fitted_forecasts() -> np.ndarray:
        net = RnnForecaster(cell="gru", epochs=4, patience=4, seed=0).fit(train)
        return net.predict(frame, test).to_numpy()

    fused = fitted_forecasts()
    monkeypatch.setattr(gru_cpu, "_extension", lambda: None)
    plain = fitted_forecasts()
    assert np.isfinite(fused).all() and len(fused) == len(test)
    np.testing.assert_allclose(fused, plain, rtol=1e-6, atol=0)


def test_a_second_derivative_is_refused_not_wrong() -> None:
    torch.manual_seed(6)
    layer = nn.GRU(2, 3, batch_first=True)
    x = torch.randn(2, 4, 2, requires_grad=True)
    (grad,) = torch.autograd.grad(gru_layer(layer, x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable|does not require grad"):
        torch.autograd.grad(grad.sum(), x)


def test_first_use_from_many_threads_builds_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    try:
        gru_cpu._build.cache_clear()
        calls = []
        build = gru_cpu._build.__wrapped__

        def counted():
            calls.append(1)
            return build()

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(gru_cpu, "_build", functools.cache(counted))
            with ThreadPoolExecutor(4) as pool:
                modules = list(pool.map(lambda _: gru_cpu._extension(), range(8)))
        assert all(m is not None and m is modules[0] for m in modules)
        assert len(calls) == 1
    finally:
        gru_cpu._build.cache_clear()
