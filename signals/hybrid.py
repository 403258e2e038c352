r"""Hybrid networks: a recurrent net that learns the correction to an econometric forecast.

The strongest cheap forecaster of daily variance is a log-HAR-X refit every day
on a rolling window. Its forecast :math:`b_s` (made at the close of the origin
:math:`s`) enters the network twice: as an input, and as the skip path in log
space,

.. math::

    \log \hat\sigma^2_{s+1} = \log b_s + \frac1M \text{(per member)}\;
        \big( w^\top h_s + c + \beta^\top \bar x_s \big),
    \qquad h_s = \mathrm{RNN}(x_{s-L+1}, \dots, x_s),

where :math:`x` holds the network's features and :math:`\log b`, standardised
on the training rows, and :math:`\bar x_s` their averages over the last 1, 5
and :math:`L` steps (:class:`signals.rnn.RnnNet`'s skip path). The head
(:math:`w, c`) and the skip weights (:math:`\beta`) start at zero, so an
untrained hybrid forecasts :math:`b_s` exactly: the network can only add what
the baseline misses, and early stopping on the validation tail keeps it at the
baseline when it finds nothing. With several ``seeds`` the members are trained
together (:class:`signals.batched.GroupedRnn`, each with its own optimiser and
early stopping) and the forecast is the baseline times the mean of the members'
factors :math:`e^{z_m}`.

The baseline column is causal by construction: :math:`b_s` comes from fitting
``base`` on the ``base_length`` rows up to and including :math:`s` (fewer,
down to ``base_min``, near the start of the data), exactly what a daily
rolling refit of ``base`` in the walk-forward gives
(:meth:`signals.base.BaseForecaster.refit_forecasts`).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, cast

import numpy as np
import pandas as pd
import torch
from typing_extensions import override

from core.checks import check_int
from core.errors import ParameterError
from signals.base import BaseForecaster
from signals.batched import GroupedRnn, _qlike_per_member
from signals.har import HarForecaster
from signals.harx import HarxForecaster
from signals.rnn import RnnForecaster
from signals.rnn_net import RnnNet, init_network, load_net_state, resolve_device
from signals.sequences import SequenceScaler, as_tensor, sliding_windows, training_samples
from signals.training import train_members

__all__ = ["BASE_COLUMN", "HybridForecaster", "base_forecasts"]

#: The column that carries the baseline's forecast into the network (a variance: it enters as a log).
BASE_COLUMN = "base_forecast"

_DEFAULT_NET = RnnForecaster(cell="gru", hidden=(32,), epochs=30, patience=5)
_DEFAULT_BASE = HarxForecaster()


def base_forecasts(
    base: BaseForecaster, frame: pd.DataFrame, rows: np.ndarray, *, length: int | None, min_rows: int
) -> np.ndarray:
    """The forecast ``base`` makes at the close of each row in ``rows``, refit on the
    rows up to it: the last ``length`` rows (all of them when None), NaN where fewer
    than ``min_rows`` exist. Shape (len(rows),), in the frame's variance units.
    """
    out = np.full(len(rows), np.nan)
    usable = np.flatnonzero(rows + 1 >= min_rows)
    if not len(usable):
        return out
    folds = []
    for i in usable:
        s = int(rows[i])
        lo = 0 if length is None else max(0, s + 1 - length)
        folds.append((slice(lo, s + 1), slice(s + 1, s + 2)))
    refits = base.refit_forecasts(frame, folds)
    out[usable] = [r.forecast[0] for r in refits]
    return out


@dataclass(kw_only=True, eq=False, repr=False)
class HybridForecaster(BaseForecaster):
    """A recurrent network on top of an econometric forecast (see the module docstring).

    Parameters
    ----------
    net : RnnForecaster, default ``RnnForecaster(cell="gru", hidden=(32,), epochs=30, patience=5)``
        The network: its cell, layers, features, sequence length, training rules
        and horizon. Its ``attention`` must be False; ``skip`` and ``seed`` are
        not used (the hybrid's skip path starts at zero; ``seeds`` seeds it).
    base : HarForecaster, default ``HarxForecaster()`` (log-HAR-X with leverage terms)
        The econometric forecast corrected; its horizon must be the network's.
    base_length : int or None, default 1000
        Rows of each daily refit of ``base`` (None: every row up to the origin).
    base_min : int, default 252
        Fewest rows a refit of ``base`` may use; earlier origins give no sample.
    seeds : tuple of int, default (0,)
        One member per seed, trained together; the forecast averages their factors.
    base_input : bool, default True
        Feed the baseline's log forecast to the network as an input too.

    Attributes
    ----------
    net_ : GroupedRnn, the trained members
    scaler_ : SequenceScaler, input and target scaling from the training rows
    history_ : DataFrame, the first member's training history
    best_epoch_ : int, the median of the members' best epochs
    """

    supported_targets = ("variance",)
    supports_warm_start = True
    supports_pooling = True
    relative_cost = 1000.0
    #: Parameters that are forecasters themselves, and the registry type a config's sub-table builds by default.
    components: ClassVar[dict[str, str]] = {"net": "rnn", "base": "harx"}
    net_: GroupedRnn = field(init=False, repr=False)
    #: A float64 copy of ``net_`` for inference, made on first use.
    _net64: GroupedRnn | None = field(default=None, init=False, repr=False)

    net: RnnForecaster = _DEFAULT_NET
    base: HarForecaster = _DEFAULT_BASE
    base_length: int | None = 1000
    base_min: int = 252
    seeds: tuple[int, ...] = (0,)
    base_input: bool = True

    @property
    @override
    def name(self) -> str:
        return f"hybrid-{self.net.cell}"

    @property
    @override
    def horizon(self) -> int:  # type: ignore[override]
        return int(self.net.horizon)

    @override
    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    # -- checks -------------------------------------------------------------------------

    def _check_params(self) -> None:
        who = "HybridForecaster"
        if not isinstance(self.net, RnnForecaster):
            raise ParameterError(
                f"{who}: net must be an RnnForecaster; got {type(self.net).__name__}. Hint: "
                "net=RnnForecaster(cell='gru', hidden=(32,))."
            )
        if not isinstance(self.base, HarForecaster):
            raise ParameterError(
                f"{who}: base must be a HarForecaster or HarxForecaster (a regression refit daily in bulk); got "
                f"{type(self.base).__name__}. Hint: base=HarxForecaster()."
            )
        self.net.validate_params()
        self.base.validate_params()
        if self.net.target != "variance":
            raise ParameterError(f"{who}: net.target must be 'variance'; got {self.net.target!r}.")
        if self.net.attention:
            raise ParameterError(f"{who}: net.attention=True cannot be grouped. Hint: attention=False.")
        if self.base.horizon != self.net.horizon:
            raise ParameterError(
                f"{who}: base.horizon={self.base.horizon} differs from net.horizon={self.net.horizon}; the "
                f"baseline must forecast what the network corrects. Hint: give both horizon={self.net.horizon}."
            )
        check_int(who, "base_length", self.base_length, 50, allow_none=True, hint="1000 rows, or None for all.")
        check_int(who, "base_min", self.base_min, 50, hint="252 rows, a year.")
        if not isinstance(self.seeds, (tuple, list)) or not self.seeds:
            raise ParameterError(f"{who}: seeds must be a non-empty tuple of integers; got {self.seeds!r}.")
        for s in self.seeds:
            check_int(who, "seeds", s, 0)
        if not isinstance(self.base_input, bool):
            raise ParameterError(f"{who}: base_input must be True or False; got {self.base_input!r}.")

    def _columns(self) -> list[str]:
        return list(dict.fromkeys([*self.net._columns(), *self.base._columns()]))

    def _features(self) -> tuple[str, ...]:
        """The network's inputs: its own features, then the baseline's forecast (always
        last: the skip path reads it from there, whether or not the network does).
        """
        return (*self.net.features, BASE_COLUMN)

    # -- data ---------------------------------------------------------------------------

    def _with_base(self, frame: pd.DataFrame, rows: np.ndarray | None = None) -> pd.DataFrame:
        """``frame`` with the baseline's forecast at ``rows`` (every row when None; NaN elsewhere)."""
        rows = np.arange(len(frame)) if rows is None else rows
        column = np.full(len(frame), np.nan)
        column[rows] = base_forecasts(self.base, frame, rows, length=self.base_length, min_rows=self.base_min)
        return frame.assign(**{BASE_COLUMN: column})

    # -- fit ----------------------------------------------------------------------------

    def _fit(self, frame: pd.DataFrame, y: pd.Series, warm_start: HybridForecaster | None = None) -> None:
        self._fit_frames([(frame, y)], warm_start)

    def _fit_pooled(
        self, pairs: Mapping[str, tuple[pd.DataFrame, pd.Series]], warm_start: HybridForecaster | None
    ) -> None:
        """One set of members across the assets: inputs scaled with one mean and deviation
        over every asset's training rows, each asset's latest samples in the validation tail.
        """
        self._fit_frames(list(pairs.values()), warm_start)

    def _fit_frames(self, pairs: list[tuple[pd.DataFrame, pd.Series]], warm_start: HybridForecaster | None) -> None:
        net = self.net
        scaler, samples = training_samples(
            [(self._with_base(f), y) for f, y in pairs],
            **net.window_settings() | dict(features=self._features()),
            variance=True,
            latest=net.warm_rows if warm_start is not None else None,
            who="HybridForecaster",
        )
        self.scaler_ = scaler
        device = resolve_device(net.device)
        grouped = self._new_members(scaler).to(device)
        if warm_start is not None:
            grouped.load_state_dict(warm_start.net_.state_dict())
        data = tuple(as_tensor(a, device) for a in (samples.Xtr, samples.ytr, samples.Xva, samples.yva))
        j = len(self._features()) - 1
        mean, std, log_scale = float(scaler.x_mean[j]), float(scaler.x_std[j]), math.log(scaler.y_scale)
        inputs = slice(None) if self.base_input else slice(0, j)

        def forward(x: torch.Tensor) -> torch.Tensor:
            # the baseline's log forecast, recovered from its standardised channel, in the target's scale
            offset = x[..., -1, j] * std + mean - log_scale
            return grouped(x[..., inputs]) + offset

        spec = dataclasses.replace(net.train_spec(warm=warm_start is not None), shuffle_seed=net.seed, keep_start=True)
        trained = train_members(
            forward,
            grouped.member_parameters(),
            [grouped],
            data,
            _qlike_per_member,
            spec,
        )
        self.net_ = grouped.eval()
        self._net64 = None
        self.histories_ = trained.histories
        self.history_ = trained.histories[0]
        self.best_epoch_ = int(np.median(trained.best_epochs))

    def _new_members(self, scaler: SequenceScaler) -> GroupedRnn:
        """One freshly initialised network per seed, with the head and skip path at zero."""
        n_inputs = len(self._features()) - (0 if self.base_input else 1)
        net = self.net
        nets: list[RnnNet] = []
        for seed in self.seeds:
            member = init_network(
                seed,
                features=self._features()[:n_inputs],
                cell=net.cell,
                hidden=tuple(net.hidden),
                dropout=net.dropout,
                attention=False,
                skip=True,
                scaler=scaler,
                variance=False,  # no persistence start: the baseline is the start
            )
            with torch.no_grad():
                member.head.weight.zero_()
                member.head.bias.zero_()
                cast(torch.nn.Linear, member.skip).weight.zero_()
            nets.append(member)
        return GroupedRnn.from_nets(nets, net.cell)

    def warm_state(self) -> dict[str, np.ndarray]:
        """The trained members' weights, by ``net.<parameter name>``."""
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}

    @override
    def load_warm_state(self, state, fit_end) -> HybridForecaster:
        self.validate_params()
        n_inputs = len(self._features()) - (0 if self.base_input else 1)
        grouped = GroupedRnn(len(self.seeds), n_inputs, tuple(self.net.hidden), self.net.cell, skip=True)
        self.net_ = load_net_state(grouped, state)
        self._net64 = None
        self.fit_end_ = pd.Timestamp(fit_end)
        return self

    # -- predict ------------------------------------------------------------------------

    def factors(self, frame: pd.DataFrame, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The baseline's forecast at each origin, shape (n,), and each member's log
        correction to it, shape (n_members, n); NaN where the window is incomplete.
        """
        L = self.net.seq_len
        needed = np.unique(np.concatenate([np.arange(max(o - L + 1, 0), o + 1) for o in origins]))
        aug = self._with_base(frame, needed)
        X, ok = sliding_windows(self.scaler_.inputs(aug), origins, L)
        base = aug[BASE_COLUMN].to_numpy(dtype=float)[origins]
        z = np.full((len(self.seeds), len(origins)), np.nan)
        if ok.any():
            # float64 inference: a forecast must not depend on which other dates were asked for
            net64 = self._net64
            if net64 is None:
                net64 = self._net64 = copy.deepcopy(self.net_).double().eval()
            device = next(net64.parameters()).device
            j = len(self._features()) - 1
            cols = slice(None) if self.base_input else slice(0, j)
            with torch.no_grad():
                xs = torch.as_tensor(X[ok][..., cols], dtype=torch.float64, device=device)
                z[:, ok] = net64(xs).cpu().numpy()
        return base, z

    def _forecast(self, frame: pd.DataFrame, origins: np.ndarray) -> np.ndarray:
        base, z = self.factors(frame, origins)
        return base * np.exp(z).mean(axis=0)
