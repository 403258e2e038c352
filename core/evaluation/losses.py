r"""Forecast losses for variance and return targets, in NumPy and in torch.

Each function takes realised values ``y`` and forecasts ``f`` of equal shape and
returns the mean loss (``reduce=False`` gives one value per element). The torch
versions take tensors and give the same numbers, so a network trained on a loss
is judged by the same formula.

.. math::

    \mathrm{QLIKE}(y, f) = \frac{y}{f} - \ln\frac{y}{f} - 1, \qquad
    \mathrm{logMSE}(y, f) = (\ln y - \ln f)^2, \qquad
    \mathrm{MSE}(y, f) = (y - f)^2

QLIKE (Patton, 2011) is robust to noise in a realized-variance proxy, is zero
at :math:`f = y` and is minimised in expectation at :math:`f = E[y]`; it needs
:math:`y, f > 0`.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

__all__ = ["LOSSES", "POSITIVE_LOSSES", "Loss", "log_mse", "loss", "mse", "qlike", "scoring_mask", "torch_loss"]

Loss = Literal["qlike", "logmse", "mse"]
LOSSES: tuple[str, ...] = get_args(Loss)


#: Losses defined for positive values only.
POSITIVE_LOSSES = ("qlike", "logmse")


def scoring_mask(y, f, name: str) -> np.ndarray:
    """The pairs a loss scores: both finite, and both positive for QLIKE and
    log-MSE (which have no value at zero). One rule for every table that scores
    forecasts (``WalkForwardResult.score``, the leaderboards, per-date losses).
    """
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    ok = np.isfinite(y) & np.isfinite(f)
    if name in POSITIVE_LOSSES:
        ok &= (y > 0) & (f > 0)
    return ok


def _arrays(y, f, positive: bool) -> tuple[np.ndarray, np.ndarray]:
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    if y.shape != f.shape:
        raise ValueError(f"y and f must have the same shape; got {y.shape} and {f.shape}.")
    if positive and ((y <= 0).any() or (f <= 0).any()):
        which = "y" if (y <= 0).any() else "f"
        raise ValueError(
            f"this loss needs positive values; {which} has {int(((y if which == 'y' else f) <= 0).sum())} value(s) "
            "<= 0. Hint: floor zero realized variances, e.g. at the smallest positive value."
        )
    return y, f


def _reduce(x: np.ndarray, reduce: bool):
    return float(np.mean(x)) if reduce else x


def qlike(y, f, *, reduce: bool = True):
    """QLIKE loss; ``y`` and ``f`` positive, same shape."""
    y, f = _arrays(y, f, positive=True)
    r = y / f
    return _reduce(r - np.log(r) - 1.0, reduce)


def log_mse(y, f, *, reduce: bool = True):
    """Squared error of log variance; ``y`` and ``f`` positive."""
    y, f = _arrays(y, f, positive=True)
    return _reduce((np.log(y) - np.log(f)) ** 2, reduce)


def mse(y, f, *, reduce: bool = True):
    """Squared error."""
    y, f = _arrays(y, f, positive=False)
    return _reduce((y - f) ** 2, reduce)


def loss(name: Loss, y, f, *, reduce: bool = True):
    """The loss called ``name`` ("qlike", "logmse" or "mse")."""
    fns = {"qlike": qlike, "logmse": log_mse, "mse": mse}
    if name not in fns:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {name!r}.")
    return fns[name](y, f, reduce=reduce)


def torch_loss(name: Loss, y, f, *, reduce: bool = True, log_f=None):
    """The same losses on torch tensors.

    Parameters
    ----------
    name : {"qlike", "logmse", "mse"}
    y, f : Tensor
        Realised values and forecasts.
    log_f : Tensor, optional
        ``log(f)`` when the caller has it (a network predicting log variance):
        QLIKE and log-MSE then avoid ``log(exp(.))`` and stay stable.
    """
    import torch

    if name == "mse":
        out = (y - f) ** 2
    else:
        lf = torch.log(f) if log_f is None else log_f
        ly = torch.log(y)
        if name == "qlike":
            out = torch.exp(ly - lf) - (ly - lf) - 1.0
        elif name == "logmse":
            out = (ly - lf) ** 2
        else:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {name!r}.")
    return out.mean() if reduce else out
