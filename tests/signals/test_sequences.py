"""Windows kept as the panel and gathered per batch: the same numbers as materialised windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from signals.rnn import RnnForecaster
from signals.sequences import PanelWindows, WindowTensor, panel_windows, sliding_windows
from tests.signals.frames import simulate_garch, sp500

torch = pytest.importorskip("torch")


def _panel(rows=60, k=3, seed=0):
    x = np.random.default_rng(seed).normal(size=(rows, k))
    x[17, 1] = np.nan  # a gap: windows covering row 17 are not complete
    return x


def test_panel_windows_are_the_sliding_windows_of_every_origin():
    x, seq = _panel(), 7
    windows, ok = panel_windows(x, seq)
    ref, ref_ok = sliding_windows(x, np.arange(len(x)), seq)
    np.testing.assert_array_equal(ok, ref_ok)
    # the same values, in the same order, where a window is complete (the reference fills the rest)
    np.testing.assert_array_equal(np.asarray(windows)[ok], ref[ok])
    assert not ok[:6].any() and not ok[17:24].any() and ok[24]


def test_concat_and_selection_keep_each_frames_rows():
    a, b = _panel(30, seed=1), _panel(40, seed=2)
    wa, oka = panel_windows(a, 5)
    wb, okb = panel_windows(b, 5)
    both = PanelWindows.concat([wa[oka], wb[okb]])
    expected = np.concatenate([np.asarray(wa)[oka], np.asarray(wb)[okb]])
    np.testing.assert_array_equal(np.asarray(both), expected)
    pick = np.array([3, 0, len(both) - 1])
    np.testing.assert_array_equal(np.asarray(both[pick]), expected[pick])
    assert both.shape == expected.shape


def test_window_tensor_gathers_what_indexing_the_materialised_tensor_gives():
    windows, ok = panel_windows(_panel(80, 4, seed=3), 9)
    windows = windows[ok]
    dense = torch.as_tensor(np.asarray(windows), dtype=torch.float32)
    lazy = windows.to_torch("cpu")
    assert isinstance(lazy, WindowTensor) and lazy.shape == tuple(dense.shape) and lazy.dim() == 3
    idx = torch.tensor([5, 2, 2, 40])
    assert torch.equal(lazy[idx], dense[idx])
    members = lazy.expand(3, *lazy.shape)
    assert members.shape == (3, *dense.shape)
    assert torch.equal(members[:, idx], dense.expand(3, *dense.shape)[:, idx])
    assert torch.equal(lazy.materialise(), dense)
    with pytest.raises(IndexError, match=r"x\[:, rows\]"):
        members[idx]


def test_memory_is_the_panels_not_the_windows():
    # 200 assets x 1,000 rows x 4 inputs, windows of 66: materialised, 66 copies of every row
    frames = [np.random.default_rng(i).normal(size=(1000, 4)) for i in range(200)]
    parts = []
    for f in frames:
        w, ok = panel_windows(f, 66)
        parts.append(w[ok])
    windows = PanelWindows.concat(parts)
    materialised = np.prod(windows.shape) * 8
    assert windows.nbytes() < materialised / 25
    # a minibatch gathers only its own windows
    batch = windows.to_torch("cpu")[torch.arange(512)]
    assert batch.numel() == 512 * 66 * 4


def _materialised(self, device, dtype=None):
    return torch.as_tensor(np.asarray(self), dtype=dtype or torch.float32, device=device)


@pytest.mark.parametrize("pooled", [False, True])
def test_forecasts_are_the_same_bits_as_with_materialised_windows(monkeypatch, pooled):
    if pooled:
        frames = {
            s: simulate_garch(700, omega=3e-6, alpha=0.1, beta=0.87, seed=i)[0] for i, s in enumerate(["A", "B", "C"])
        }
    else:
        frame = sp500().loc[:"2004-12-31"]
    params = dict(hidden=(8,), seq_len=12, epochs=3, patience=3, batch_size=64, seed=5, features=("rv", "return"))

    def run():
        net = RnnForecaster(**params)
        if pooled:
            net.fit_pooled({s: f.iloc[:550] for s, f in frames.items()})
            return pd.concat({s: net.predict(f, f.index[550:]) for s, f in frames.items()})
        return net.fit(frame.loc[:"2003-12-31"]).predict(frame, frame.loc["2004-01-01":].index)

    lazy = run()
    monkeypatch.setattr(PanelWindows, "to_torch", _materialised)
    dense = run()
    pd.testing.assert_series_equal(lazy, dense, check_exact=True)


def test_an_integer_picks_one_window():
    x = _panel(30, seed=4)
    windows, _ = panel_windows(x, 5)
    np.testing.assert_array_equal(windows[10], x[6:11])
    np.testing.assert_array_equal(windows[-1], np.asarray(windows)[-1])


def _training_peak(assets: int, batch_size: int, rows: int = 500, k: int = 2, seq: int = 20) -> tuple[int, int]:
    """The peak of the bytes one epoch of a GRU(8) allocates on windows of ``assets`` stacked
    panels (the panel itself made before), and the number of training windows.
    """
    from signals.memory import peak_allocated
    from signals.rnn_net import RnnNet
    from signals.training import TrainSpec, train_members

    windows, ok = panel_windows(np.random.default_rng(0).normal(size=(assets * rows, k)), seq)
    windows = windows[ok]
    n = len(windows)
    data = (windows.to_torch("cpu"), torch.randn(n), windows[np.arange(64)].to_torch("cpu"), torch.randn(64))
    torch.manual_seed(0)
    net = RnnNet(k, "gru", (8,), 0.0, False)
    spec = TrainSpec(epochs=1, batch_size=batch_size, max_steps=None)
    _, peak = peak_allocated(
        lambda: train_members(
            lambda x: net(x[0])[0].unsqueeze(0),
            [list(net.parameters())],
            [net],
            data,
            lambda y, z: ((y - z) ** 2).mean(dim=1),
            spec,
        )
    )
    return peak, n


def test_a_training_epoch_allocates_one_minibatch_not_the_windows():
    # What a device holds beyond the panel: one minibatch's gathered windows and activations,
    # and the epoch's shuffled order (8 bytes a window). Eight times the windows: only the order grows.
    small, n_small = _training_peak(4, 64)
    large, n_large = _training_peak(32, 64)
    per_batch = small - 8 * n_small
    assert large - 8 * n_large == pytest.approx(per_batch, rel=0.01)
    # materialised, the extra windows alone would have taken 20 rows of 2 float32 each (160 bytes a window)
    assert large - small < (n_large - n_small) * 160 / 10
    # and the minibatch is what it is made of: twice the batch, more than 1.5 times the bytes
    double, _ = _training_peak(4, 128)
    assert double - 8 * n_small > 1.5 * per_batch
