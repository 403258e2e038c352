r"""LSTM and GRU forecasters of realized variance or returns (PyTorch).

The network reads the last ``seq_len`` rows of the input features up to the
origin :math:`s` and forecasts the target for the next ``horizon`` days:

.. math::

    h_s = \mathrm{RNN}(x_{s-L+1}, \dots, x_s), \qquad
    \hat\sigma^2_{s+1} = c \cdot \exp(w^\top h_s + b)

for variance (positive by construction; :math:`c` is the training mean of the
target, so an untrained head starts at the unconditional variance). With
``skip=True`` a linear path from the window's log-variance averages is added,

.. math::

    \log \hat\sigma^2_{s+1} = \log c + w^\top h_s + b
        + \sum_{j \in \{1, 5, L\}} \beta_j^\top \bar x_{s,j},
    \qquad \bar x_{s,j} = \tfrac1j \textstyle\sum_{i<j} x_{s-i},

started at a HAR-like persistence forecast (weight 1/3 on each average of log
``rv``), so the forecast can follow variance beyond the training range (a
recurrent state saturates there; in October 2008 the plain GRU stopped near
40 % annualised while realised variance ran at 60-80 %) and the recurrent path
learns the correction. For returns the forecast is
:math:`\hat r = c \cdot (w^\top h_s + b)` (:math:`c` the training standard
deviation). With ``attention=True``, :math:`h_s` is replaced by
:math:`\sum_t a_t h_t` with learned weights :math:`a_t` over the time steps.

Honesty rules built in:

* inputs are transformed (log of variances and ratios) and standardised with
  the mean and deviation of the **training rows only**;
* early stopping and learning-rate reduction watch a validation tail of the
  training samples, separated from them by ``horizon`` samples so that no
  training target overlaps the validation period; the best weights are kept;
* a bidirectional network is refused: it would read days after the origin;
* the same ``seed`` gives the same forecasts on the CPU.

Pin torch to one thread in worker processes (see :func:`core.threads.configure_threads`):
small recurrent networks are latency-bound and oversubscribed threads are ruinous.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn
from typing_extensions import override

from core.checks import check_bool, check_choice, check_int, check_number, check_sizes
from core.errors import DataError, ParameterError
from signals.base import BaseForecaster, Target

__all__ = ["RnnForecaster"]

Cell = Literal["lstm", "gru"]
RnnLoss = Literal["auto", "qlike", "logmse", "mse"]
Device = Literal["auto", "cpu", "cuda"]
LrSchedule = Literal["plateau", "constant"]
Scaling = Literal["standard", "minmax", "none"]

#: Inputs that are variances or positive ratios enter the network as logs.
_LOG_INPUTS = ("rv", "har_", "vix", "garman", "parkinson", "rogers", "yang", "close_to_close")


def _transform(name: str, x: np.ndarray, floor: float) -> np.ndarray:
    if name == "volume_ratio":
        return np.log1p(np.maximum(x, 0.0))
    if name.startswith(_LOG_INPUTS):
        return np.log(np.maximum(x, floor))
    return x


def _window_averages(x: torch.Tensor) -> torch.Tensor:
    """The skip path's inputs: each feature averaged over the last 1, 5 and all
    time steps, shape (..., 3 * features) from (..., time, features).
    """
    return torch.cat([x[..., -1, :], x[..., -5:, :].mean(dim=-2), x.mean(dim=-2)], dim=-1)


class _RnnNet(nn.Module):
    """Stacked LSTM/GRU layers (one size each), optional attention over time, a linear head."""

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
        self.skip = None
        if skip:
            self.skip = nn.Linear(3 * n_inputs, 1, bias=False)
            nn.init.zeros_(self.skip.weight)

    def forward(self, x):
        inputs = x
        for i, layer in enumerate(self.layers):
            x, _ = layer(x)
            if i < len(self.layers) - 1:
                x = self.drop(x)
        weights = None
        if self.attention:
            scores = self.att_score(torch.tanh(self.att_proj(x))).squeeze(-1)
            weights = torch.softmax(scores, dim=1)
            ctx = (weights.unsqueeze(-1) * x).sum(dim=1)
        else:
            ctx = x[:, -1]
        out = self.head(self.drop(ctx)).squeeze(-1)
        if self.skip is not None:
            out = out + self.skip(_window_averages(inputs)).squeeze(-1)
        return out, weights


class RnnForecaster(BaseForecaster):
    """Recurrent network forecaster (LSTM or GRU), stacked, with optional attention.

    Parameters
    ----------
    cell : {"lstm", "gru"}, default "lstm"
    hidden : tuple of int, default (64, 32)
        Units per stacked layer, first to last (funnels like (128, 64, 32) allowed).
    dropout : float, default 0.0
        Between layers and before the head, in [0, 1).
    attention : bool, default False
        Learn weights over time steps; see ``attention_weights_``.
    seq_len : int, default 20
        Rows of history the network reads per forecast.
    target : {"variance", "return", "price", "absolute_return"}, default "variance"
    horizon : int, default 1
    features : tuple of str, default ("rv", "return", "volume_ratio")
        Frame columns fed to the network (``har_5``, ``vix`` and others too).
        Variances, VIX and volume ratios enter as logs.
    loss : {"auto", "qlike", "logmse", "mse"}, default "auto"
        Training loss: "auto" is QLIKE for variance and MSE for returns.
        QLIKE and log-MSE are defined for variance only.
    epochs : int, default 60
    warm_epochs : int, default 15
        Epoch budget when warm-started from a previous fit's weights.
    warm_rows : int or None, default 1008
        When warm-started, train (and validate) on the latest ``warm_rows``
        samples of each frame only (four years by default): the previous fit
        has seen the older ones. None trains on all of them. On the S&P 500
        walk-forward this made the warm refits of LSTM(32) and GRU(32) about 4
        times faster than cold ones with a lower QLIKE (``benchmarks/walkforward.py``).
    patience : int, default 8
        Epochs without validation improvement before stopping; the learning
        rate halves after ``max(1, patience // 2)`` such epochs.
    lr : float, default 1e-3
    weight_decay : float, default 0.0
    grad_clip : float or None, default 1.0
        Maximum gradient norm.
    batch_size : int, default 64
    val_fraction : float, default 0.2
        Share of training samples (the latest) used for validation.
    seed : int, default 0
    device : {"auto", "cpu", "cuda"}, default "auto"
    bidirectional : bool, default False
        Refused when True: a bidirectional network reads the days after the origin.
    lr_schedule : {"plateau", "constant"}, default "plateau"
        "plateau": multiply the learning rate by ``lr_factor`` after
        ``max(1, patience // 2)`` epochs without validation improvement;
        "constant": keep ``lr`` (as many published experiments do).
    lr_factor : float in (0, 1), default 0.5
    scale_inputs : {"standard", "minmax", "none"}, default "standard"
        Input scaling, fitted on the training rows only: to mean 0 and standard
        deviation 1, to [0, 1] by the training minimum and maximum, or none.
    skip : bool, default True
        Add a linear path from the averages of the inputs over the last 1, 5 and
        ``seq_len`` days to the output, started (cold fits of a variance model
        reading ``rv``) at a log-HAR-like persistence forecast; see the module
        docstring. Lowered the out-of-sample QLIKE of GRU(32) on the S&P 500
        from 0.918 to 0.884 of log-HAR's (``benchmarks/accuracy.py``).

    Attributes
    ----------
    net_ : torch.nn.Module, the trained network (best validation epoch)
    history_ : DataFrame, per epoch: train_loss, val_loss, lr
    best_epoch_ : int
    attention_weights_ : Series or None
        Mean attention per lag over the training samples (lag 0 = the origin
        day), when ``attention=True``.
    x_mean_, x_std_ : ndarray, input scaling from training rows: inputs enter as
        ``(x - x_mean_) / x_std_`` (the minimum and range for ``scale_inputs="minmax"``,
        0 and 1 for "none")
    y_scale_ : float
    """

    supported_targets = ("variance", "return", "price", "absolute_return")
    supports_warm_start = True
    supports_pooling = True
    relative_cost = 1000.0

    @override
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    def __init__(
        self,
        *,
        cell: Cell = "lstm",
        hidden: tuple[int, ...] = (64, 32),
        dropout: float = 0.0,
        attention: bool = False,
        seq_len: int = 20,
        target: Target = "variance",
        horizon: int = 1,
        features: tuple[str, ...] = ("rv", "return", "volume_ratio"),
        loss: RnnLoss = "auto",
        epochs: int = 60,
        warm_epochs: int = 15,
        warm_rows: int | None = 1008,
        patience: int = 8,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        batch_size: int = 64,
        val_fraction: float = 0.2,
        seed: int = 0,
        device: Device = "auto",
        bidirectional: bool = False,
        skip: bool = True,
        lr_schedule: LrSchedule = "plateau",
        lr_factor: float = 0.5,
        scale_inputs: Scaling = "standard",
    ) -> None:
        self.lr_schedule = lr_schedule
        self.lr_factor = lr_factor
        self.scale_inputs = scale_inputs
        self.cell = cell
        self.hidden = hidden
        self.dropout = dropout
        self.attention = attention
        self.seq_len = seq_len
        self.target = target
        self.horizon = horizon
        self.features = features
        self.loss = loss
        self.epochs = epochs
        self.warm_epochs = warm_epochs
        self.warm_rows = warm_rows
        self.patience = patience
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.seed = seed
        self.device = device
        self.bidirectional = bidirectional
        self.skip = skip

    @property
    @override
    def name(self) -> str:
        return self.cell + ("-att" if self.attention else "")

    # -- validation -------------------------------------------------------------------

    def _check_params(self) -> None:
        who = "RnnForecaster"
        if self.bidirectional:
            raise ParameterError(
                f"{who}: bidirectional=True is refused: a bidirectional network also reads the sequence backwards, "
                f"so its state at a day depends on the days after it, and in a forecast that is the future. "
                f"Hint: more layers or attention=True look further back without looking ahead."
            )
        check_choice(who, "cell", self.cell, ("lstm", "gru"))
        for name in ("attention", "skip"):
            check_bool(who, name, getattr(self, name))
        check_sizes(who, "hidden", self.hidden, hint="(64, 32).")
        for name in ("seq_len", "epochs", "warm_epochs", "patience", "batch_size"):
            check_int(who, name, getattr(self, name), 1)
        check_number(who, "dropout", self.dropout, lambda v: 0 <= v < 1, "in [0, 1)")
        check_number(who, "val_fraction", self.val_fraction, lambda v: 0 < v < 1, "in (0, 1)")
        check_number(who, "lr", self.lr, lambda v: v > 0, "a positive number")
        check_number(who, "weight_decay", self.weight_decay, lambda v: v >= 0, "a non-negative number")
        check_choice(who, "lr_schedule", self.lr_schedule, ("plateau", "constant"))
        check_number(who, "lr_factor", self.lr_factor, lambda v: 0 < v < 1, "in (0, 1), such as 0.5")
        check_choice(who, "scale_inputs", self.scale_inputs, ("standard", "minmax", "none"))
        check_int(
            who,
            "warm_rows",
            self.warm_rows,
            50,
            allow_none=True,
            hint="a few years of rows, such as 756, or None for all.",
        )
        if self.grad_clip is not None:
            check_number(who, "grad_clip", self.grad_clip, lambda v: v > 0, "a positive number or None")
        check_choice(who, "loss", self.loss, ("auto", "qlike", "logmse", "mse"))
        if self.target != "variance" and self.loss in ("qlike", "logmse"):
            raise ParameterError(
                f"{who}: loss={self.loss!r} is defined for variance only; target={self.target!r} needs loss='mse' "
                "(or 'auto')."
            )
        if isinstance(self.features, str) or not self.features:
            raise ParameterError(
                f"{who}: features must be a non-empty tuple of column names; got {self.features!r}. Hint: ('rv', "
                "'return')."
            )
        check_choice(who, "device", self.device, ("auto", "cpu", "cuda"))
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ParameterError(
                f"{who}: device='cuda' but torch sees no CUDA device. Hint: device='auto' falls back to the CPU."
            )

    def _columns(self) -> list[str]:
        cols = list(self.features)
        source = "rv" if self.target == "variance" else "return"
        return cols if source in cols else [*cols, source]

    @property
    def _loss_name(self) -> str:
        if self.loss != "auto":
            return self.loss
        return "qlike" if self.target == "variance" else "mse"

    # -- data -------------------------------------------------------------------------

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Transformed (logged where it applies) inputs, shape (n_rows, n_features)."""
        return np.column_stack([_transform(c, frame[c].to_numpy(dtype=float), self.floor_) for c in self.features])

    def _inputs(self, frame: pd.DataFrame) -> np.ndarray:
        """Transformed, standardised inputs, shape (n_rows, n_features)."""
        return (self._raw(frame) - self.x_mean_) / self.x_std_

    def _windows(self, x: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Windows ending at each origin, shape (m, seq_len, k); and which are complete."""
        L = self.seq_len
        out = np.full((len(origins), L, x.shape[1]), np.nan)
        ok = origins >= L - 1
        if len(x) >= L and ok.any():
            win = sliding_window_view(x, L, axis=0)  # (n-L+1, k, L)
            out[ok] = np.transpose(win[origins[ok] - (L - 1)], (0, 2, 1))
        ok &= np.isfinite(out).all(axis=(1, 2))
        return out, ok

    def _device(self):
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    # -- fit --------------------------------------------------------------------------

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: RnnForecaster | None = None) -> None:
        self._fit_frames([(frame, y)], warm_start)

    def _fit_pooled(
        self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]], warm_start: RnnForecaster | None
    ) -> None:
        """One network on several assets' training rows (see ``fit_pooled``).

        Inputs are standardised with one mean and deviation over all assets'
        training rows (so level differences between assets stay visible to the
        network); each asset's latest samples form its part of the validation
        tail, purged by ``horizon`` samples as in :meth:`fit`. ``predict`` then
        works on any one asset's frame.
        """
        self._fit_frames(list(pairs.values()), warm_start)

    def _fit_frames(self, pairs: list[tuple[pd.DataFrame, pd.Series]], warm_start: RnnForecaster | None) -> None:
        """Samples (see :meth:`_samples`), then training."""
        latest = self.warm_rows if warm_start is not None else None
        self._train(*self._samples(pairs, latest), warm_start)

    def _samples(
        self, pairs: list[tuple[pd.DataFrame, pd.Series]], latest: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Scalers from every frame's rows, windows per frame, a per-frame validation tail.

        Sets ``floor_``, ``x_mean_``, ``x_std_`` and ``y_scale_``; returns the
        training and validation windows and their scaled targets, from the
        ``latest`` samples of each frame when given (scalers still from all rows).
        """
        need = self.seq_len + self.horizon + 10
        for frame, _ in pairs:
            if len(frame) < need:
                raise ParameterError(
                    f"RnnForecaster: seq_len={self.seq_len} is too long for {len(frame)} training rows (with "
                    f"horizon={self.horizon}, at least seq_len + horizon + 10 = {need} rows are needed). Hint: a "
                    "shorter seq_len or more history."
                )
        rv = np.concatenate([f["rv"].to_numpy(dtype=float) for f, _ in pairs if "rv" in f.columns] or [np.array([1.0])])
        pos = rv[np.isfinite(rv) & (rv > 0)]
        self.floor_ = float(pos.min()) if pos.size else 1e-12
        raws = [self._raw(f) for f, _ in pairs]
        stacked = np.vstack(raws)
        for j, c in enumerate(self.features):
            if not np.isfinite(stacked[:, j]).any():
                raise DataError(
                    f"RnnForecaster: feature {c!r} has no finite value in the training rows. Hint: drop it from "
                    "features."
                )
        if self.scale_inputs == "standard":
            self.x_mean_, self.x_std_ = np.nanmean(stacked, axis=0), np.nanstd(stacked, axis=0)
        elif self.scale_inputs == "minmax":
            self.x_mean_ = np.nanmin(stacked, axis=0)
            self.x_std_ = np.nanmax(stacked, axis=0) - self.x_mean_
        else:
            self.x_mean_, self.x_std_ = np.zeros(stacked.shape[1]), np.ones(stacked.shape[1])
        self.x_std_[~(self.x_std_ > 0)] = 1.0

        parts_tr, parts_va = [], []
        for raw, (_, y) in zip(raws, pairs, strict=True):
            X, ok = self._windows((raw - self.x_mean_) / self.x_std_, np.arange(len(raw)))
            target = y.to_numpy(dtype=float)
            ok &= np.isfinite(target)
            X, target = X[ok], target[ok]
            if latest is not None:
                X, target = X[-latest:], target[-latest:]
            m = len(X)
            n_val = max(1, round(self.val_fraction * m))
            n_train = m - n_val - self.horizon  # purge: no training target overlaps the validation period
            if n_train < 1:
                raise ParameterError(
                    f"RnnForecaster: only {m} usable training samples (seq_len={self.seq_len}, "
                    f"horizon={self.horizon}); too few to split off a validation tail. Hint: more history or a "
                    "shorter seq_len."
                )
            parts_tr.append((X[:n_train], target[:n_train]))
            parts_va.append((X[m - n_val :], target[m - n_val :]))
        Xtr, ytr = (np.concatenate(a) for a in zip(*parts_tr, strict=True))
        Xva, yva = (np.concatenate(a) for a in zip(*parts_va, strict=True))
        if len(Xtr) < max(10, self.batch_size // 4):
            raise ParameterError(
                f"RnnForecaster: only {len(Xtr) + len(Xva)} usable training samples (seq_len={self.seq_len}, "
                f"horizon={self.horizon}); too few to split off a validation tail. Hint: more history or a shorter "
                "seq_len."
            )
        both = np.concatenate([ytr, yva])
        if self.target == "variance":
            ytr, yva, both = (np.maximum(a, self.floor_) for a in (ytr, yva, both))
            self.y_scale_ = float(both.mean())
        else:
            self.y_scale_ = float(both.std()) or 1.0
        return Xtr, ytr / self.y_scale_, Xva, yva / self.y_scale_

    def _new_net(self, seed: int) -> _RnnNet:
        """A freshly initialised network for ``seed``, its skip path (if any) at
        persistence; needs the scalers of :meth:`_samples`.
        """
        torch.manual_seed(seed)
        net = _RnnNet(
            len(self.features),
            self.cell,
            tuple(self.hidden),
            float(self.dropout),
            bool(self.attention),
            bool(self.skip),
        )
        if self.skip and self.target == "variance" and "rv" in self.features:
            # Start from a HAR-like persistence forecast in log space (the geometric
            # mean of rv over the last 1, 5 and seq_len days), so forecasts can
            # follow variance beyond the training range; the recurrent path learns
            # the correction.
            j, k = list(self.features).index("rv"), len(self.features)
            with torch.no_grad():
                for part in range(3):
                    net.skip.weight[0, part * k + j] = float(self.x_std_[j]) / 3
                net.head.bias.fill_(float(self.x_mean_[j]) - math.log(self.y_scale_))
        return net

    def warm_state(self) -> dict[str, np.ndarray]:
        """The trained network's weights, by ``net.<parameter name>``."""
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}

    @override
    def load_warm_state(self, state, fit_end) -> RnnForecaster:
        self.validate_params()
        net = _RnnNet(
            len(self.features),
            self.cell,
            tuple(self.hidden),
            float(self.dropout),
            bool(self.attention),
            bool(self.skip),
        )
        tensors = {
            k.removeprefix("net."): torch.as_tensor(np.asarray(v, dtype=np.float32))
            for k, v in state.items()
            if k.startswith("net.")
        }
        net.load_state_dict(tensors, strict=True)  # a missing, extra or misshapen weight raises
        self.net_ = net.eval()
        self.fit_end_ = pd.Timestamp(fit_end)
        return self

    def _train(
        self, Xtr: np.ndarray, ytr: np.ndarray, Xva: np.ndarray, yva: np.ndarray, warm_start: RnnForecaster | None
    ) -> None:
        """Adam with early stopping on the validation samples; keeps the best weights."""
        from signals.losses import torch_loss

        device = self._device()
        net = self._new_net(self.seed).to(device)
        epochs = self.epochs
        if warm_start is not None:
            same = (
                warm_start.cell,
                tuple(warm_start.hidden),
                tuple(warm_start.features),
                warm_start.attention,
                warm_start.skip,
            ) == (self.cell, tuple(self.hidden), tuple(self.features), self.attention, self.skip)
            if not same:
                raise ParameterError(
                    "RnnForecaster: warm_start must have the same cell, hidden, features, attention and skip as this "
                    "network."
                )
            net.load_state_dict(warm_start.net_.state_dict())
            epochs = self.warm_epochs
        n_train = len(Xtr)
        X = np.concatenate([Xtr, Xva])
        m, n_val = len(X), len(Xva)
        Xt = torch.as_tensor(X, dtype=torch.float32, device=device)
        Yt = torch.as_tensor(np.concatenate([ytr, yva]), dtype=torch.float32, device=device)
        tr, va = slice(0, n_train), slice(m - n_val, m)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = None
        if self.lr_schedule == "plateau":
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, factor=self.lr_factor, patience=max(1, self.patience // 2)
            )
        gen = torch.Generator().manual_seed(self.seed)
        loss_name, variance = self._loss_name, self.target == "variance"

        def batch_loss(xb, yb):
            z, _ = net(xb)
            if variance:
                return torch_loss(loss_name, yb, torch.exp(z), log_f=z)
            return torch_loss("mse", yb, z)

        best, best_state, bad, rows = math.inf, copy.deepcopy(net.state_dict()), 0, []
        for epoch in range(1, epochs + 1):
            net.train()
            perm = torch.randperm(n_train, generator=gen).to(device)
            total = 0.0
            for i in range(0, n_train, self.batch_size):
                idx = perm[i : i + self.batch_size]
                opt.zero_grad()
                lb = batch_loss(Xt[tr][idx], Yt[tr][idx])
                lb.backward()
                if self.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), self.grad_clip)
                opt.step()
                total += float(lb.detach()) * len(idx)
            net.eval()
            with torch.no_grad():
                val = float(batch_loss(Xt[va], Yt[va]))
            rows.append((epoch, total / n_train, val, opt.param_groups[0]["lr"]))
            if sched is not None:
                sched.step(val)
            if val < best - 1e-7:
                best, best_state, bad = val, copy.deepcopy(net.state_dict()), 0
            else:
                bad += 1
                if bad >= self.patience:
                    break
        net.load_state_dict(best_state)
        net.eval()
        self.net_ = net
        self._net64 = None
        self.history_ = pd.DataFrame(rows, columns=["epoch", "train_loss", "val_loss", "lr"]).set_index("epoch")
        self.best_epoch_ = int(self.history_["val_loss"].idxmin())
        self.attention_weights_ = None
        if self.attention:
            with torch.no_grad():
                _, w = net(Xt)
            mean_w = w.mean(dim=0).cpu().numpy()[::-1]  # reverse: lag 0 is the origin day
            self.attention_weights_ = pd.Series(mean_w, index=pd.RangeIndex(self.seq_len, name="lag"), name="attention")

    # -- predict ----------------------------------------------------------------------

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        X, ok = self._windows(self._inputs(frame), origins)
        out = np.full(len(origins), np.nan)
        if ok.any():
            # Inference in float64: float32 kernels round differently with the batch's
            # size, so the same window could get a forecast differing in the 8th digit
            # depending on which other dates were asked for.
            if getattr(self, "_net64", None) is None:
                self._net64 = copy.deepcopy(self.net_).double().eval()
            device = next(self._net64.parameters()).device
            zs = []
            with torch.no_grad():
                xs = torch.as_tensor(X[ok], dtype=torch.float64, device=device)
                for i in range(0, len(xs), 4096):
                    zs.append(self._net64(xs[i : i + 4096])[0].cpu().numpy())
            z = np.concatenate(zs).astype(float)
            out[ok] = self.y_scale_ * (np.exp(z) if self.target == "variance" else z)
        return out
