"""core.evaluation.losses: hand values, the QLIKE minimum, NumPy equals torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.evaluation.losses import LOSSES, log_mse, loss, mse, qlike, torch_loss


def test_hand_values():
    # y=2, f=1: QLIKE = 2 - ln 2 - 1 ; logMSE = (ln 2)^2 ; MSE = 1
    assert qlike([2.0], [1.0]) == pytest.approx(1 - math.log(2))
    assert log_mse([2.0], [1.0]) == pytest.approx(math.log(2) ** 2)
    assert mse([2.0], [1.0]) == 1.0
    assert qlike([3.0, 3.0], [3.0, 3.0]) == 0.0
    np.testing.assert_allclose(
        qlike([1.0, 4.0], [2.0, 2.0], reduce=False), [0.5 + math.log(2) - 1, 2 - math.log(2) - 1]
    )


def test_qlike_is_minimised_at_the_true_variance():
    # y = sigma^2 * chi2(1): E[QLIKE(y, f)] = sigma^2/f + ln f + const, minimised at f = sigma^2.
    sigma2 = 2.5e-4
    y = sigma2 * np.random.default_rng(0).chisquare(1, 200_000)
    grid = sigma2 * np.linspace(0.5, 1.5, 101)
    losses = [qlike(y, np.full_like(y, f)) for f in grid]
    best = grid[int(np.argmin(losses))]
    # the sample mean of y is the exact minimiser of the sample loss; grid step 1 %
    assert best == pytest.approx(y.mean(), rel=0.011)
    assert best == pytest.approx(sigma2, rel=0.02)


@pytest.mark.parametrize("name", LOSSES)
def test_numpy_and_torch_agree(name):
    rng = np.random.default_rng(1)
    y, f = rng.uniform(0.1, 3, 50), rng.uniform(0.1, 3, 50)
    want = loss(name, y, f)
    got = torch_loss(name, torch.tensor(y, dtype=torch.float64), torch.tensor(f, dtype=torch.float64))
    assert float(got) == pytest.approx(want, rel=1e-12)
    if name != "mse":  # the log-forecast path used in training
        got_log = torch_loss(
            name, torch.tensor(y, dtype=torch.float64), None, log_f=torch.log(torch.tensor(f, dtype=torch.float64))
        )
        assert float(got_log) == pytest.approx(want, rel=1e-12)
    per = torch_loss(name, torch.tensor(y), torch.tensor(f), reduce=False).numpy()
    np.testing.assert_allclose(per, loss(name, y, f, reduce=False), rtol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match=r"needs positive values; y has 1 value\(s\) <= 0"):
        qlike([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        mse([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"loss must be one of qlike, logmse, mse; got 'mae'"):
        loss("mae", [1.0], [1.0])


def test_one_scoring_mask_for_every_table():
    from core.evaluation.losses import scoring_mask

    y = np.array([1.0, 0.0, np.nan, 2.0, -1.0])
    f = np.array([1.0, 1.0, 1.0, np.nan, 1.0])
    np.testing.assert_array_equal(scoring_mask(y, f, "qlike"), [True, False, False, False, False])
    np.testing.assert_array_equal(scoring_mask(y, f, "mse"), [True, True, False, False, True])
