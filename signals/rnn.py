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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from typing_extensions import override

from core.checks import check_bool, check_choice, check_int, check_number, check_sizes
from core.errors import DataError, ParameterError
from core.evaluation.losses import Loss, torch_loss
from signals.base import BaseForecaster, Target
from signals.features import symbols
from signals.sequences import (
    Scaling,
    SequenceScaler,
    TargetScale,
    as_tensor,
    sliding_windows,
    training_samples,
    training_samples_by_asset,
)

__all__ = ["RnnForecaster", "check_memory", "weight_count"]

if TYPE_CHECKING:
    import torch

    from signals.rnn_net import RnnNet
    from signals.training import LrSchedule, Precision, StepRule, TrainSpec

#: The network's pieces moved to :mod:`signals.rnn_net` (so that this module reads without torch);
#: the old imports from here still work, loading torch when asked.
_MOVED = ("RnnNet", "init_network", "resolve_device")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from signals import rnn_net

        return getattr(rnn_net, name)
    raise AttributeError(f"module 'signals.rnn' has no attribute {name!r}")


#: Windows per forward pass when forecasting (and for the attention weights): a pooled
#: universe's windows at once would hold all their activations.
FORECAST_CHUNK = 4096

Cell = Literal["lstm", "gru"]
Normalise = Literal["pooled", "asset"]
RnnLoss = Literal["auto", "qlike", "logmse", "mse"]
Device = Literal["auto", "cpu", "cuda"]


def weight_count(cell: str, n_inputs: int, hidden: tuple[int, ...]) -> int:
    """The weights of stacked LSTM/GRU layers (with biases) and a linear head."""
    gates = 4 if cell == "lstm" else 3
    sizes = (n_inputs, *hidden)
    return sum(gates * h * (sizes[i] + h + 2) for i, h in enumerate(hidden)) + hidden[-1] + 1


def physical_memory() -> int | None:
    """Physical memory of this machine in bytes (None where the system does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def check_memory(who: str, cell: str, n_inputs: int, hidden: tuple[int, ...]) -> None:
    """Refuse a network whose weights, gradients and Adam's two moments (16 bytes a weight
    in float32) exceed this machine's memory, before anything is allocated.
    """
    memory = physical_memory()
    need = 16 * weight_count(cell, n_inputs, hidden)
    if memory is not None and need > memory:
        raise ParameterError(
            f"{who}: hidden={hidden} asks for {weight_count(cell, n_inputs, hidden):,} weights, {need / 2**30:.1f} GiB "
            f"with their gradients and Adam's state, more than this machine's {memory / 2**30:.1f} GiB. Hint: "
            "hidden=(64,) or (128, 64)."
        )


@dataclass(kw_only=True, eq=False, repr=False)
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
        has seen the older ones. None trains on all of them. Warm against cold
        refits: ``benchmarks/walkforward.py``, figures in ``benchmarks/results.md``.
    patience : int, default 8
        Epochs without validation improvement before stopping; the learning
        rate halves after ``max(1, patience // 2)`` such epochs.
    lr : float, default 1e-3
    weight_decay : float, default 0.0
    grad_clip : float or None, default 1.0
        Maximum gradient norm.
    batch_size : int, default 64
    max_steps : int or None, default 200
        At most this many minibatches per epoch: with more than
        ``max_steps * batch_size`` training samples (a pooled universe), the
        batch grows to fit and the learning rate grows by the square root of
        that factor (:meth:`signals.training.TrainSpec.scaled`). A single asset
        needs 50 years of daily rows to reach it. None: always ``batch_size``.
        Speed and accuracy on a pooled 20-asset universe: ``benchmarks/pooled.py``.
    step_rule : {"batch", "sample"}, default "batch"
        How an epoch is held to ``max_steps``: larger batches over every
        sample, or ``max_steps`` batches of ``batch_size`` drawn at random each
        epoch.
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
    normalise : {"pooled", "asset"}, default "pooled"
        For a network pooled over assets (``fit_pooled``): one scaling over every
        asset's training rows (level differences between assets stay visible),
        or each asset scaled by its own rows (inputs and target: the network
        learns each asset's dynamics around its own level; ``predict`` reads the
        frame's symbol to pick its scaling).
    skip : bool, default True
        Add a linear path from the averages of the inputs over the last 1, 5 and
        ``seq_len`` days to the output, started (cold fits of a variance model
        reading ``rv``) at a log-HAR-like persistence forecast; see the module
        docstring. With and without it: ``benchmarks/accuracy.py``, figures in
        ``benchmarks/results.md``.
    precision : {"fp32", "bf16"}, default "fp32"
        The arithmetic of training's forward passes: "bf16" runs them under bfloat16
        autocast on the fit's device (:func:`signals.training.in_precision`), with
        float32 weights, gradients, optimiser and output layers (the output is a log
        level, which bfloat16 would round to 6 % steps). On the CPU the LSTM computes
        in bfloat16; a GRU would not (its fused kernel is float32 only), so a GRU with
        "bf16" on the CPU is refused. Forecasts are computed in float64 either way.
        QLIKE and time against "fp32": ``benchmarks/precision.py``.

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
    net_: RnnNet = field(init=False, repr=False)
    #: A float64 copy of ``net_`` for inference, made on first use.
    _net64: RnnNet | None = field(default=None, init=False, repr=False)

    @override
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    cell: Cell = "lstm"
    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.0
    attention: bool = False
    seq_len: int = 20
    target: Target = "variance"
    horizon: int = 1
    features: tuple[str, ...] = ("rv", "return", "volume_ratio")
    loss: RnnLoss = "auto"
    epochs: int = 60
    warm_epochs: int = 15
    warm_rows: int | None = 1008
    patience: int = 8
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float | None = 1.0
    batch_size: int = 64
    val_fraction: float = 0.2
    seed: int = 0
    device: Device = "auto"
    bidirectional: bool = False
    skip: bool = True
    lr_schedule: LrSchedule = "plateau"
    lr_factor: float = 0.5
    scale_inputs: Scaling = "standard"
    max_steps: int | None = 200
    step_rule: StepRule = "batch"
    normalise: Normalise = "pooled"
    precision: Precision = "fp32"

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
        if self.max_steps is not None:
            check_int(who, "max_steps", self.max_steps, 1, hint="None keeps batch_size whatever the sample count")
        check_choice(who, "step_rule", self.step_rule, ("batch", "sample"))
        check_number(who, "dropout", self.dropout, lambda v: 0 <= v < 1, "in [0, 1)")
        check_number(who, "val_fraction", self.val_fraction, lambda v: 0 < v < 1, "in (0, 1)")
        check_number(who, "lr", self.lr, lambda v: v > 0, "a positive number")
        check_number(who, "weight_decay", self.weight_decay, lambda v: v >= 0, "a non-negative number")
        check_choice(who, "lr_schedule", self.lr_schedule, ("plateau", "constant"))
        check_number(who, "lr_factor", self.lr_factor, lambda v: 0 < v < 1, "in (0, 1), such as 0.5")
        check_choice(who, "scale_inputs", self.scale_inputs, ("standard", "minmax", "none"))
        check_choice(who, "normalise", self.normalise, ("pooled", "asset"))
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
        check_choice(who, "precision", self.precision, ("fp32", "bf16"))
        check_memory(who, self.cell, len(self.features), tuple(self.hidden))
        if self.device == "cuda" and not _cuda_available():
            raise ParameterError(
                f"{who}: device='cuda' but torch sees no CUDA device. Hint: device='auto' falls back to the CPU."
            )

    def _columns(self) -> list[str]:
        cols = list(self.features)
        source = "rv" if self.target == "variance" else "return"
        return cols if source in cols else [*cols, source]

    @property
    def _loss_name(self) -> Loss:
        if self.loss != "auto":
            return self.loss
        return "qlike" if self.target == "variance" else "mse"

    # -- data -------------------------------------------------------------------------

    @property
    def _target_scale(self) -> TargetScale:
        """How the target is scaled and linked (:data:`signals.sequences.TargetScale`): a
        variance and an absolute return are positive scales with an exponential link.
        """
        return {"variance": "variance", "absolute_return": "positive"}.get(self.target, "signed")  # type: ignore[return-value]

    @property
    def _persistence(self) -> str:
        """The input the skip path's persistence forecast starts from: the target's own series."""
        return "abs_return" if self.target == "absolute_return" else "rv"

    def _scaler(self, frame: pd.DataFrame | None = None) -> SequenceScaler:
        """The scaling of ``frame``'s asset (its own with ``normalise="asset"``), else the pooled one."""
        by_asset = getattr(self, "scalers_", None)
        if by_asset and frame is not None:
            sym = symbols(frame)[0]
            if sym not in by_asset:
                if len(by_asset) == 1:
                    return next(iter(by_asset.values()))
                raise DataError(
                    f"RnnForecaster(normalise='asset'): no scaling for {sym!r}; the network was pooled over "
                    f"{', '.join(by_asset)}. Hint: predict on a frame of one of those assets (its "
                    "description, core.frameinfo.frame_info(frame).symbols, names it), or normalise='pooled'."
                )
            return by_asset[sym]
        return SequenceScaler(
            tuple(self.features),
            self.floor_,
            self.x_mean_,
            self.x_std_,
            self.y_scale_,
            getattr(self, "floors_", np.zeros(0)),
        )

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Transformed (logged where it applies) inputs, shape (n_rows, n_features)."""
        return self._scaler(frame).raw(frame)

    def _inputs(self, frame: pd.DataFrame) -> np.ndarray:
        """Transformed, standardised inputs, shape (n_rows, n_features)."""
        return self._scaler(frame).inputs(frame)

    def _windows(self, x: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Windows ending at each origin, shape (m, seq_len, k); and which are complete."""
        return sliding_windows(x, origins, self.seq_len)

    def _device(self) -> torch.device:
        from signals.rnn_net import resolve_device

        return resolve_device(self.device)

    def train_spec(self, *, warm: bool = False) -> TrainSpec:
        """The training rules of this network (:mod:`signals.training`)."""
        from signals.training import TrainSpec

        return TrainSpec(
            epochs=self.warm_epochs if warm else self.epochs,
            patience=self.patience,
            lr=self.lr,
            weight_decay=self.weight_decay,
            grad_clip=self.grad_clip,
            batch_size=self.batch_size,
            lr_schedule=self.lr_schedule,
            lr_factor=self.lr_factor,
            shuffle_seed=self.seed,
            max_steps=self.max_steps,
            step_rule=self.step_rule,
        )

    # -- fit --------------------------------------------------------------------------

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: RnnForecaster | None = None) -> None:
        self._fit_frames([(frame, y)], warm_start)

    def _fit_pooled(
        self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]], warm_start: RnnForecaster | None
    ) -> None:
        """One network on several assets' training rows (see ``fit_pooled``).

        Inputs are standardised with one mean and deviation over all assets'
        training rows (so level differences between assets stay visible to the
        network), or each asset with its own (``normalise="asset"``); each
        asset's latest samples form its part of the validation tail, purged by
        ``horizon`` samples as in :meth:`fit`. ``predict`` then works on any one
        asset's frame (with ``normalise="asset"``, on the pooled assets').
        """
        self._fit_frames(list(pairs.values()), warm_start, symbols=list(pairs))

    def _fit_frames(
        self,
        pairs: list[tuple[pd.DataFrame, pd.Series]],
        warm_start: RnnForecaster | None,
        symbols: list[str] | None = None,
    ) -> None:
        """Samples (see :meth:`_samples`), then training."""
        latest = self.warm_rows if warm_start is not None else None
        self._train(*self._samples(pairs, latest, symbols), warm_start)

    def _samples(
        self, pairs: list[tuple[pd.DataFrame, pd.Series]], latest: int | None = None, symbols: list[str] | None = None
    ) -> tuple[Any, np.ndarray, Any, np.ndarray]:
        """Scalers from every frame's rows, windows per frame, a per-frame validation tail
        (:func:`signals.sequences.training_samples`; per asset with ``normalise="asset"``).

        Sets ``floor_``, ``floors_``, ``x_mean_``, ``x_std_`` and ``y_scale_`` (with
        ``normalise="asset"`` over several assets their means, for the network's
        start, and ``scalers_`` by symbol); returns the training and validation
        windows and their scaled targets, from the ``latest`` samples of each
        frame when given (scalers still from all rows).
        """
        kwargs: dict[str, Any] = self.window_settings() | dict(target_scale=self._target_scale, latest=latest)
        self.scalers_: dict[str, SequenceScaler] = {}
        if self.normalise == "asset" and len(pairs) > 1:
            scalers, samples = training_samples_by_asset(pairs, **kwargs)
            names = symbols or [f"asset{i}" for i in range(len(pairs))]
            self.scalers_ = dict(zip(names, scalers, strict=True))
            scaler = SequenceScaler(
                tuple(self.features),
                min(s.floor for s in scalers),
                np.mean([s.x_mean for s in scalers], axis=0),
                np.mean([s.x_std for s in scalers], axis=0),
                float(np.exp(np.mean([np.log(s.y_scale) for s in scalers]))),
                np.min([s.floors for s in scalers], axis=0),
            )
        else:
            scaler, samples = training_samples(pairs, **kwargs)
        self.floor_, self.floors_, self.x_mean_, self.x_std_ = scaler.floor, scaler.floors, scaler.x_mean, scaler.x_std
        self.y_scale_ = scaler.y_scale
        return samples.Xtr, samples.ytr, samples.Xva, samples.yva

    def window_settings(self) -> dict[str, Any]:
        """How this network's training windows are cut and scaled: the keywords of
        :func:`signals.sequences.training_samples` it sets (grouped models of this network use them too).
        """
        return dict(
            features=tuple(self.features),
            seq_len=self.seq_len,
            horizon=self.horizon,
            val_fraction=self.val_fraction,
            batch_size=self.batch_size,
            scaling=self.scale_inputs,
        )

    def new_net(self, seed: int, scaler: SequenceScaler | None = None) -> RnnNet:
        """A freshly initialised network for ``seed`` (:func:`signals.rnn_net.init_network`), its skip
        path started from ``scaler`` (default: the one :meth:`_samples` set).
        """
        from signals.rnn_net import init_network

        return init_network(
            seed,
            features=tuple(self.features),
            cell=self.cell,
            hidden=tuple(self.hidden),
            dropout=self.dropout,
            attention=self.attention,
            skip=self.skip,
            scaler=self._scaler() if scaler is None else scaler,
            variance=self._target_scale != "signed",
            persistence=self._persistence,
        )

    def warm_state(self) -> dict[str, np.ndarray]:
        """The trained network's weights, by ``net.<parameter name>``."""
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}

    @override
    def load_warm_state(self, state, fit_end) -> RnnForecaster:
        from signals.rnn_net import RnnNet, load_net_state

        self.validate_params()
        net = RnnNet(
            len(self.features),
            self.cell,
            tuple(self.hidden),
            float(self.dropout),
            bool(self.attention),
            bool(self.skip),
        )
        self.net_ = load_net_state(net, state)
        self.fit_end_ = pd.Timestamp(fit_end)
        return self

    def _train(self, Xtr: Any, ytr: np.ndarray, Xva: Any, yva: np.ndarray, warm_start: RnnForecaster | None) -> None:
        """Adam with early stopping on the validation samples (:func:`signals.training.train_members`);
        keeps the best weights.
        """
        import torch

        from signals.rnn_net import window_chunks
        from signals.training import in_precision, train_members

        device = self._device()
        if self.precision == "bf16" and self.cell == "gru" and device.type == "cpu":
            raise ParameterError(
                "RnnForecaster: precision='bf16' would change nothing for a GRU on the CPU: its recurrence runs "
                "in float32 (the fused kernel knows no other) and so do the output layers. Hint: precision='fp32', "
                "or cell='lstm', whose CPU kernel computes in bfloat16."
            )
        net = self.new_net(self.seed).to(device)
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
        data = tuple(as_tensor(a, device) for a in (Xtr, ytr, Xva, yva))
        loss_name, positive = self._loss_name, self._target_scale != "signed"

        def loss(y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
            if positive:  # an exponential link: a variance or an absolute return
                return torch_loss(loss_name, y, torch.exp(z), log_f=z, reduce=False).mean(dim=1)
            return torch_loss("mse", y, z, reduce=False).mean(dim=1)

        trained = train_members(
            in_precision(lambda x: net(x[0])[0].unsqueeze(0), self.precision, device),
            [list(net.parameters())],
            [net],
            data,
            loss,
            self.train_spec(warm=warm_start is not None),
        )
        net.eval()
        self.net_ = net
        self._net64 = None
        self.history_ = trained.histories[0]
        self.best_epoch_ = trained.best_epochs[0]
        self.attention_weights_ = None
        if self.attention:
            with torch.no_grad():
                chunks = (chunk for x in (data[0], data[2]) for chunk in window_chunks(x, FORECAST_CHUNK))
                w = torch.cat([net(chunk)[1] for chunk in chunks])
            mean_w = w.mean(dim=0).cpu().numpy()[::-1]  # reverse: lag 0 is the origin day
            self.attention_weights_ = pd.Series(mean_w, index=pd.RangeIndex(self.seq_len, name="lag"), name="attention")

    # -- predict ----------------------------------------------------------------------

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        import torch

        from signals.rnn_net import window_chunks

        scaler = self._scaler(frame)
        X, ok = self._windows(scaler.inputs(frame), origins)
        out = np.full(len(origins), np.nan)
        if ok.any():
            # Inference in float64: float32 kernels round differently with the batch's
            # size, so the same window could get a forecast differing in the 8th digit
            # depending on which other dates were asked for.
            net64 = self._net64
            if net64 is None:
                net64 = self._net64 = copy.deepcopy(self.net_).double().eval()
            device = next(net64.parameters()).device
            with torch.no_grad():
                xs = torch.as_tensor(X[ok], dtype=torch.float64, device=device)
                zs = [net64(chunk)[0].cpu().numpy() for chunk in window_chunks(xs, FORECAST_CHUNK)]
            z = np.concatenate(zs).astype(float)
            out[ok] = scaler.y_scale * (np.exp(z) if self._target_scale != "signed" else z)
        return out
