"""RnnForecaster: small networks, few epochs; behaviour, reproducibility, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import DataError
from core.evaluation.losses import qlike
from signals.base import ParameterError
from signals.naive import RollingVarianceForecaster
from signals.rnn import RnnForecaster
from tests.signals.frames import simulate_garch, sp500

TINY = dict(hidden=(8,), seq_len=10, epochs=4, patience=3, batch_size=64)


@pytest.fixture(scope="module")
def garch_data():
    # alpha + beta = 0.97: persistent clustering that a network can learn
    return simulate_garch(2600, omega=3e-6, alpha=0.1, beta=0.87, seed=2)


@pytest.fixture(scope="module")
def frame():
    return sp500().loc[:"2006-12-31"]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_beats_unconditional_variance_on_simulated_garch(garch_data, cell):
    frame, true_var = garch_data
    train, test = frame.iloc[:2000], frame.index[2000:]
    net = RnnForecaster(
        cell=cell, hidden=(16,), seq_len=20, epochs=25, patience=6, features=("rv", "return"), seed=1
    ).fit(train)
    base = RollingVarianceForecaster(length=None).fit(train)
    y = true_var.reindex(test).to_numpy()
    q_net = qlike(y, net.predict(frame, test).to_numpy())
    q_base = qlike(y, base.predict(frame, test).to_numpy())
    # QLIKE against the true conditional variance; the GARCH dynamics are strong
    # enough that learning them cuts the loss well below the constant's.
    assert q_net < 0.8 * q_base, (q_net, q_base)


def _dtypes_seen(fit) -> set[tuple[str, torch.dtype]]:
    """(module class, output dtype) of every module called while ``fit()`` runs."""
    seen: set[tuple[str, torch.dtype]] = set()

    def hook(module, args, out):
        seen.add((type(module).__name__, (out[0] if isinstance(out, tuple) else out).dtype))

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        fit()
    finally:
        handle.remove()
    return seen


def test_bf16_trains_the_lstm_in_bfloat16_and_forecasts_as_well_as_fp32(garch_data):
    # What precision="bf16" executes, and what it costs: the LSTM's outputs in training are
    # bfloat16, the output layer's float32 (a log level rounded to bfloat16 moves in 6 % steps),
    # and QLIKE against the true variance stays within 1 % of float32 training's
    frame, true_var = garch_data
    train, test = frame.iloc[:2000], frame.index[2000:]
    kw = dict(cell="lstm", hidden=(16,), seq_len=20, epochs=25, patience=6, features=("rv", "return"), seed=1)
    fp32, bf16 = RnnForecaster(**kw), RnnForecaster(**kw, precision="bf16")
    seen32, seen16 = _dtypes_seen(lambda: fp32.fit(train)), _dtypes_seen(lambda: bf16.fit(train))
    assert ("LSTM", torch.bfloat16) in seen16 and ("Linear", torch.float32) in seen16
    assert ("Linear", torch.bfloat16) not in seen16 and {d for _, d in seen32} == {torch.float32}
    assert not np.allclose(fp32.history_["train_loss"], bf16.history_["train_loss"]), "bf16 ran"
    y = true_var.reindex(test).to_numpy()
    q32, q16 = (qlike(y, m.predict(frame, test).to_numpy()) for m in (fp32, bf16))
    assert q16 == pytest.approx(q32, rel=0.01), (q16, q32)


def test_same_seed_same_forecasts(frame):
    train, test = frame.loc[:"2005-12-31"], frame.loc["2006-01-01":].index
    a = RnnForecaster(**TINY, seed=3).fit(train).predict(frame, test)
    b = RnnForecaster(**TINY, seed=3).fit(train).predict(frame, test)
    c = RnnForecaster(**TINY, seed=4).fit(train).predict(frame, test)
    pd.testing.assert_series_equal(a, b)
    assert not np.allclose(a, c)


def test_variance_is_positive_and_history_kept(frame):
    m = RnnForecaster(**TINY).fit(frame)
    p = m.predict(frame, frame.index[40:])  # volume_ratio needs 20 rows, then seq_len more
    assert p.notna().all() and (p > 0).all()
    assert list(m.history_.columns) == ["train_loss", "val_loss", "lr"]
    assert 1 <= len(m.history_) <= 4 and m.best_epoch_ in m.history_.index
    assert np.isnan(m.predict(frame, frame.index[1:5])).all()  # fewer than seq_len rows of history


def test_funnel_stack_attention_and_weights(frame):
    m = RnnForecaster(
        cell="gru",
        hidden=(16, 8, 4),
        attention=True,
        dropout=0.1,
        seq_len=10,
        epochs=2,
        features=("rv", "return", "volume_ratio", "har_5"),
    ).fit(frame)
    w = m.attention_weights_
    assert w.index.name == "lag" and len(w) == 10
    assert w.sum() == pytest.approx(1.0, rel=1e-5) and (w > 0).all()
    assert m.name == "gru-att"
    assert [layer.hidden_size for layer in m.net_.layers] == [16, 8, 4]


def test_window_chunks_cover_every_window_in_order():
    import torch

    from signals.rnn_net import window_chunks
    from signals.sequences import panel_windows

    windows, ok = panel_windows(np.arange(300.0).reshape(100, 3), 7)
    lazy = windows[ok].to_torch("cpu")
    dense = lazy.materialise()
    for x in (lazy, dense):
        chunks = list(window_chunks(x, 40))
        assert [len(c) for c in chunks] == [40, 40, 14]
        assert torch.equal(torch.cat(chunks), dense)


def test_return_target(frame):
    m = RnnForecaster(**TINY, target="return").fit(frame)
    p = m.predict(frame, frame.index[-30:])
    assert p.notna().all() and p.std() > 0
    # a return forecast is a few basis points, not a variance-sized or price-sized number
    assert p.abs().max() < 0.05
    assert m._loss_name == "mse"


def test_early_stopping_restores_best_weights(frame):
    m = RnnForecaster(hidden=(8,), seq_len=10, epochs=30, patience=2, lr=0.05, seed=0).fit(frame)
    h = m.history_
    assert len(h) < 30, "stopped early"
    assert len(h) - m.best_epoch_ == 2, "patience epochs after the best"
    assert h["val_loss"].min() == h.loc[m.best_epoch_, "val_loss"]


def test_the_kept_weights_are_the_best_epochs_not_the_last(frame):
    # A second network trained for exactly the best epoch's count, on the same seed and a
    # constant learning rate (the same trajectory up to there), ends with the weights the
    # first one kept: the same forecasts. Had the first kept its last weights (two epochs
    # after the best), they would differ.
    spec = {"hidden": (8,), "seq_len": 10, "lr": 0.05, "seed": 0, "lr_schedule": "constant"}
    stopped = RnnForecaster(**spec, epochs=30, patience=2).fit(frame)
    best = stopped.best_epoch_
    assert len(stopped.history_) == best + 2 < 30, "stopped early, two epochs after its best"
    exact = RnnForecaster(**spec, epochs=best, patience=30).fit(frame)
    pd.testing.assert_frame_equal(exact.history_, stopped.history_.loc[:best])
    origins = frame.index[-60:]
    np.testing.assert_array_equal(exact.predict(frame, origins), stopped.predict(frame, origins))
    # run to its last epoch without stopping, it keeps the best epoch's weights too
    longer = RnnForecaster(**spec, epochs=best + 2, patience=30).fit(frame)
    assert longer.best_epoch_ == best
    np.testing.assert_array_equal(longer.predict(frame, origins), stopped.predict(frame, origins))


def test_bidirectional_is_refused_with_reason(frame):
    with pytest.raises(
        ParameterError,
        match=r"bidirectional=True is refused: .* depends on the days after it, and in a forecast that is the future",
    ):
        RnnForecaster(bidirectional=True).fit(frame)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"cell": "rnn"}, r"cell must be one of 'lstm', 'gru'; got 'rnn'"),
        ({"hidden": (32, -4)}, r"hidden must be a non-empty tuple of integers >= 1; got \(32, -4\)"),
        ({"hidden": ()}, r"hidden must be a non-empty tuple"),
        ({"loss": "huber"}, r"loss must be one of 'auto', 'qlike', 'logmse', 'mse'; got 'huber'"),
        (
            {"loss": "qlike", "target": "return"},
            r"loss='qlike' is defined for variance only; target='return' needs loss='mse'",
        ),
        ({"seq_len": 0}, r"seq_len must be an integer >= 1; got 0"),
        ({"seq_len": 5000}, r"seq_len=5000 is too long for \d+ training rows"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\); got 1.0"),
        ({"lr": 0}, r"lr must be a positive number; got 0"),
        ({"device": "tpu"}, r"device must be one of 'auto', 'cpu', 'cuda'; got 'tpu'"),
        ({"horizon": -1}, r"horizon must be an integer >= 1; got -1"),
        ({"skip": "yes"}, r"skip must be True or False; got 'yes'"),
        ({"warm_rows": 10}, r"warm_rows must be an integer >= 50 or None; got 10\. Hint: a few years of rows"),
        ({"precision": "fp16"}, r"precision must be one of 'fp32', 'bf16'; got 'fp16'"),
        (
            {"precision": "bf16", "cell": "gru", "device": "cpu"},
            r"precision='bf16' would change nothing for a GRU on the CPU: its recurrence runs in float32 \(the fused "
            r"kernel knows no other\) and so do the output layers\. Hint: precision='fp32', or cell='lstm'",
        ),
    ],
)
def test_bad_hyperparameters(frame, params, match):
    with pytest.raises(ParameterError, match=match):
        RnnForecaster(**params).fit(frame)


def test_missing_feature_is_named(frame):
    with pytest.raises(DataError, match=r"RnnForecaster: the frame lacks column\(s\) vix"):
        RnnForecaster(features=("rv", "vix")).fit(frame)


def test_skip_path_lets_forecasts_leave_the_training_range():
    # Trained on 1999-2007, forecasting the autumn of 2008, when daily variance ran
    # far above anything in the training rows: the recurrent state saturates, the
    # HAR-like skip path (started at persistence) follows the new level.
    frame = sp500()
    train = frame.loc[:"2007-12-31"]
    crash = frame.loc["2008-10-06":"2008-12-05"].index
    persistence = frame["rv"].rolling(5).mean().shift(1).reindex(crash)
    params = dict(cell="gru", hidden=(8,), seq_len=10, epochs=4, patience=3, seed=0)
    plain = RnnForecaster(**params, skip=False).fit(train).predict(frame, crash)
    skip = RnnForecaster(**params, skip=True).fit(train).predict(frame, crash)
    top = train["rv"].max()
    assert plain.max() < top < skip.max()
    assert np.median(np.log(plain / persistence)) < -2 < -1 < np.median(np.log(skip / persistence))


def test_warm_start_needs_the_same_skip(frame):
    first = RnnForecaster(**TINY, skip=False).fit(frame)
    with pytest.raises(ParameterError, match="skip"):
        RnnForecaster(**TINY).fit(frame, warm_start=first)


def test_warm_rows_keeps_the_latest_samples_and_only_for_warm_fits(frame):
    m = RnnForecaster(**TINY, warm_rows=300)
    m.validate_params()
    pairs = [(frame, m._model_target(frame))]
    Xtr, _, Xva, _yva = m._samples(pairs)
    Xtr2, _, Xva2, yva2 = m._samples(pairs, 300)
    # all samples in order: training, `horizon` purged, validation
    everything = np.concatenate([Xtr, np.full((m.horizon, *Xtr.shape[1:]), np.nan), Xva])
    assert len(Xtr2) + m.horizon + len(Xva2) == 300
    np.testing.assert_array_equal(Xtr2[0], everything[-300])
    np.testing.assert_array_equal(Xva2[-1], Xva[-1])
    assert len(yva2) == round(0.2 * 300)
    # a cold fit ignores warm_rows
    test = frame.index[-50:]
    a = RnnForecaster(**TINY, warm_rows=300).fit(frame).predict(frame, test)
    b = RnnForecaster(**TINY, warm_rows=None).fit(frame).predict(frame, test)
    pd.testing.assert_series_equal(a, b)


def test_learning_rate_schedule_and_input_scaling_are_parameters(frame):
    constant = RnnForecaster(**{**TINY, "epochs": 6, "patience": 2}, lr_schedule="constant", lr=3e-3).fit(frame)
    assert (constant.history_["lr"] == 3e-3).all(), "constant: the learning rate never moves"
    halved = RnnForecaster(**{**TINY, "epochs": 6, "patience": 2}, lr_factor=0.25).fit(frame)
    assert set(halved.history_["lr"].round(12)) <= {1e-3, 2.5e-4, 6.25e-5, 1.5625e-5}
    mm = RnnForecaster(**TINY, scale_inputs="minmax").fit(frame)
    scaled = mm._inputs(frame)
    assert np.nanmin(scaled) == pytest.approx(0.0, abs=1e-12) and np.nanmax(scaled) == pytest.approx(1.0, abs=1e-12)
    raw = RnnForecaster(**TINY, scale_inputs="none").fit(frame)
    np.testing.assert_array_equal(raw._inputs(frame), raw._raw(frame))
    with pytest.raises(ParameterError, match=r"scale_inputs must be one of 'standard', 'minmax', 'none'; got 'robust'"):
        RnnForecaster(**TINY, scale_inputs="robust").fit(frame)


def test_a_network_too_large_for_memory_is_refused_with_the_size_asked():
    from signals.rnn import physical_memory

    with pytest.raises(ParameterError, match=r"hidden=\(60000,\) asks for 14,401,260,001 weights, \d+\.\d GiB"):
        RnnForecaster(hidden=(60000,)).validate_params()
    assert physical_memory() is None or physical_memory() > 2**30
    RnnForecaster(hidden=(512, 256)).validate_params()  # large, and fits


def test_the_absolute_return_path_reaches_a_hand_built_abs_return_column():
    # The set-up of a published |r| study, shrunk: |r| of the S&P 500, one 80/20 split. By hand: the
    # variance path fed |r| as its "rv" column (a log input, an exponential link, MSE on the level).
    from engine.splits import WalkForward
    from signals.base import realized_target

    frame = sp500().dropna(subset=["return"])
    (fold,) = WalkForward(start=None, train_fraction=0.8).split(frame.index)
    train, test = frame.iloc[fold.train], frame.index[fold.test]
    y = realized_target(frame, "absolute_return").reindex(test).to_numpy()
    mean = train["abs_return"].mean()
    net = dict(cell="gru", hidden=(16,), seq_len=40, epochs=12, patience=4, lr=3e-3, seed=0)

    def r2(f: pd.Series) -> float:
        # out of sample against the training mean, as the study does
        return float(1 - np.sum((y - f.to_numpy()) ** 2) / np.sum((y - mean) ** 2))

    hand = frame.assign(rv=frame["abs_return"])
    by_hand = RnnForecaster(target="variance", loss="mse", features=("rv",), **net)
    by_hand = by_hand.fit(hand.iloc[fold.train]).predict(hand, test)
    # the same inputs through the absolute-return path: the same forecasts (to float32 scaling), nothing lost
    same = RnnForecaster(target="absolute_return", features=("abs_return",), **net).fit(train).predict(frame, test)
    np.testing.assert_allclose(same.to_numpy(), by_hand.to_numpy(), rtol=1e-4)  # float32 scaling
    # the documented recipe, signed returns beside |r| (the sign carries the leverage effect), does better
    recipe = RnnForecaster(target="absolute_return", features=("return", "abs_return"), **net)
    recipe = recipe.fit(train).predict(frame, test)
    assert (recipe > 0).all()  # a scale is positive: the exponential link
    assert r2(recipe) > r2(by_hand) and r2(recipe) > 0.08, (r2(recipe), r2(by_hand))


def test_the_network_moved_to_rnn_net_and_reading_a_forecaster_needs_no_torch():
    import subprocess
    import sys

    code = (
        "import sys; from signals.rnn import RnnForecaster; RnnForecaster(cell='gru').validate_params(); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "a network's config reads without torch"
    from signals import rnn, rnn_net

    assert rnn.RnnNet is rnn_net.RnnNet and rnn.init_network is rnn_net.init_network, "the old imports still work"
