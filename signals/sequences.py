r"""Windows of scaled inputs for sequence networks: one data preparation for every network.

A recurrent forecaster reads, for an origin :math:`s`, the window
:math:`x_{s-L+1}, \dots, x_s` of its input features, transformed (logs of
variances and positive ratios) and scaled with statistics of the **training rows
only**; its target is scaled by one training constant. :class:`SequenceScaler`
holds those statistics, :func:`sliding_windows` cuts the windows, and
:func:`training_samples` builds the training and validation samples with a
purged validation tail. :class:`signals.rnn.RnnForecaster` and the grouped
networks of :mod:`signals.batched` both use them, so a single and a grouped
network given the same data see the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from core.errors import DataError, ParameterError

__all__ = [
    "LOG_INPUTS",
    "PanelWindows",
    "Samples",
    "Scaling",
    "SequenceScaler",
    "TargetScale",
    "WindowTensor",
    "as_tensor",
    "input_floors",
    "is_log_input",
    "panel_windows",
    "sliding_windows",
    "training_samples",
    "training_samples_by_asset",
]

Scaling = Literal["standard", "minmax", "none"]
#: What a network's target is, for its scaling: a variance (floored, scaled by its mean, an
#: exponential link), another positive scale such as an absolute return (scaled by its mean, an
#: exponential link), or a signed quantity (scaled by its standard deviation, a linear link).
TargetScale = Literal["variance", "positive", "signed"]

#: Inputs that are variances or positive ratios enter the network as logs.
LOG_INPUTS = (
    "rv",
    "har_",
    "vix",
    "garman",
    "parkinson",
    "rogers",
    "yang",
    "close_to_close",
    "base_forecast",
    "abs_return",
    "market_rv",
)


def is_log_input(name: str) -> bool:
    """Whether the feature ``name`` enters as a log (see :data:`LOG_INPUTS`)."""
    return name.startswith(LOG_INPUTS)


def transform(name: str, x: np.ndarray, floor: float) -> np.ndarray:
    """The feature ``name`` as the network reads it: logs of variances and positive
    scales (floored at ``floor``, the feature's smallest positive training value),
    log1p of volume ratios, others as they are.
    """
    if name == "volume_ratio":
        return np.log1p(np.maximum(x, 0.0))
    if is_log_input(name):
        return np.log(np.maximum(x, floor))
    return x


def sliding_windows(x: np.ndarray, origins: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``x`` (shape (n_rows, k)) ending at each origin row.

    Returns
    -------
    (windows, ok)
        ``windows`` of shape (len(origins), seq_len, k), NaN where incomplete;
        ``ok`` marks the complete, finite ones.
    """
    L = seq_len
    out = np.full((len(origins), L, x.shape[1]), np.nan)
    ok = origins >= L - 1
    if len(x) >= L and ok.any():
        win = sliding_window_view(x, L, axis=0)  # (n-L+1, k, L)
        out[ok] = np.transpose(win[origins[ok] - (L - 1)], (0, 2, 1))
    ok &= np.isfinite(out).all(axis=(1, 2))
    return out, ok


def as_tensor(x, device, dtype=None):
    """``x`` on ``device`` as float32: a :class:`PanelWindows` as a :class:`WindowTensor`
    (windows gathered per batch), anything else as a tensor.
    """
    import torch

    if isinstance(x, PanelWindows):
        return x.to_torch(device, dtype)
    return torch.as_tensor(np.asarray(x), dtype=dtype or torch.float32, device=device)


def panel_windows(x: np.ndarray, seq_len: int) -> tuple[PanelWindows, np.ndarray]:
    """The window ending at every row of ``x`` (shape (n_rows, k)), not materialised, and
    which are complete and finite: what :func:`sliding_windows` gives for every origin.
    """
    n = len(x)
    finite = np.isfinite(x).all(axis=1)
    bad = np.concatenate([[0], np.cumsum(~finite)])
    rows = np.arange(n)
    ok = rows >= seq_len - 1
    start = np.maximum(rows - seq_len + 1, 0)
    ok &= (bad[rows + 1] - bad[start]) == 0  # no non-finite row inside the window
    return PanelWindows(x, start.astype(np.int64), seq_len), ok


@dataclass(frozen=True)
class PanelWindows:
    """Windows of a panel kept as the panel and each window's first row, not materialised.

    A pooled network over many assets would otherwise hold every window, ``seq_len``
    copies of each row: memory grows with assets x rows x ``seq_len``. Here it is the
    panel's, and a minibatch gathers its windows when it is used (the same numbers:
    the same values in the same order).

    Attributes
    ----------
    panel : ndarray (rows, k), the scaled inputs of every frame, stacked
    starts : ndarray (n,) of int, each window's first row in ``panel``
    length : int, rows per window (``seq_len``)
    """

    panel: np.ndarray
    starts: np.ndarray
    length: int

    @property
    def shape(self) -> tuple[int, int, int]:
        """(windows, length, features), as the materialised array's."""
        return (len(self.starts), self.length, self.panel.shape[1])

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, key: int | np.integer) -> np.ndarray: ...
    @overload
    def __getitem__(self, key: slice | np.ndarray) -> PanelWindows: ...
    def __getitem__(self, key):
        """One window (an integer: shape (length, k)) or a selection of windows (not materialised)."""
        if isinstance(key, int | np.integer):
            start = int(self.starts[key])
            return self.panel[start : start + self.length]
        return PanelWindows(self.panel, self.starts[key], self.length)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self.panel[self.starts[:, None] + np.arange(self.length)]
        return out if dtype is None else out.astype(dtype)

    def nbytes(self) -> int:
        """Bytes held (the panel and the starts), not the windows'."""
        return int(self.panel.nbytes + self.starts.nbytes)

    def to_torch(self, device, dtype=None) -> WindowTensor:
        """The windows on ``device``: the panel moved once, windows gathered per batch."""
        import torch

        return WindowTensor(
            torch.as_tensor(self.panel, dtype=dtype or torch.float32, device=device),
            torch.as_tensor(self.starts, dtype=torch.long, device=device),
            self.length,
        )

    @staticmethod
    def concat(parts: Sequence[PanelWindows]) -> PanelWindows:
        """Several frames' windows as one: panels stacked, starts shifted."""
        offsets = np.cumsum([0] + [len(p.panel) for p in parts[:-1]])
        return PanelWindows(
            np.vstack([p.panel for p in parts]),
            np.concatenate([p.starts + o for p, o in zip(parts, offsets, strict=True)]).astype(np.int64),
            parts[0].length,
        )


class WindowTensor:
    """:class:`PanelWindows` on a torch device, for :func:`signals.training.train_members`:
    indexing it with sample positions (``x[idx]``, or ``x[:, idx]`` once expanded over
    members) gathers those windows, shape (batch, length, k) or (members, batch, length, k).
    """

    def __init__(self, panel, starts, length: int, members: int | None = None) -> None:
        self.panel, self.starts, self.length, self.members = panel, starts, length, members
        self._steps: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        """(members, batch, length, k) once expanded, else (batch, length, k)."""
        inner = (int(self.starts.shape[0]), self.length, int(self.panel.shape[1]))
        return inner if self.members is None else (self.members, *inner)

    @property
    def device(self):
        """The torch device the panel lives on."""
        return self.panel.device

    def dim(self) -> int:
        """Number of dimensions, as :meth:`torch.Tensor.dim`."""
        return len(self.shape)

    def expand(self, members: int, *_shape) -> WindowTensor:
        """The same windows seen by ``members`` members (no copy), as :meth:`torch.Tensor.expand`."""
        return WindowTensor(self.panel, self.starts, self.length, members)

    def _gather(self, rows):
        import torch

        if self._steps is None:
            self._steps = torch.arange(self.length, device=self.panel.device)
        return self.panel[self.starts[rows][:, None] + self._steps]

    def __getitem__(self, key):
        if self.members is None:
            return self._gather(key)
        if not (isinstance(key, tuple) and len(key) == 2 and key[0] == slice(None)):
            raise IndexError("WindowTensor over members: index as x[:, rows]")
        windows = self._gather(key[1])
        return windows.expand(self.members, *windows.shape)

    def materialise(self):
        """Every window as one tensor (for a forward pass over all of them)."""
        return self[:, slice(None)] if self.members is not None else self._gather(slice(None))


@dataclass(frozen=True)
class SequenceScaler:
    """Input and target scaling learned from training rows.

    Attributes
    ----------
    features : tuple of str, the frame columns read, in order
    floor : float, the smallest positive training ``rv``: variance targets are floored there
    x_mean, x_std : ndarray of shape (k,), inputs enter as ``(transform(x) - x_mean) / x_std``
    y_scale : float, targets enter as ``y / y_scale``
    floors : ndarray of shape (k,), each log input's smallest positive training value, where it
        is floored before the log (each feature its own: an absolute return's floor is not a
        variance's); empty: ``floor`` for every log input (scalers made before floors were per feature)
    """

    features: tuple[str, ...]
    floor: float
    x_mean: np.ndarray
    x_std: np.ndarray
    y_scale: float
    floors: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def _floors(self) -> np.ndarray:
        return self.floors if len(self.floors) else np.full(len(self.features), self.floor)

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        """Transformed (logged where it applies) inputs, shape (n_rows, k)."""
        return raw_inputs(frame, self.features, self._floors())

    def inputs(self, frame: pd.DataFrame) -> np.ndarray:
        """Transformed, scaled inputs, shape (n_rows, k)."""
        return (self.raw(frame) - self.x_mean) / self.x_std


def raw_inputs(frame: pd.DataFrame, features: Sequence[str], floors: Sequence[float] | np.ndarray) -> np.ndarray:
    """Transformed inputs of ``frame``, shape (n_rows, len(features)); ``floors`` one per feature."""
    return np.column_stack(
        [transform(c, frame[c].to_numpy(dtype=float), float(f)) for c, f in zip(features, floors, strict=True)]
    )


def input_floors(frames: Sequence[pd.DataFrame], features: Sequence[str]) -> np.ndarray:
    """Each log input's smallest positive value over the frames' rows (1e-12 where none); 0 for others."""
    out = np.zeros(len(features))
    for j, c in enumerate(features):
        if not is_log_input(c):
            continue
        x = np.concatenate([f[c].to_numpy(dtype=float) for f in frames])
        pos = x[np.isfinite(x) & (x > 0)]
        out[j] = float(pos.min()) if pos.size else 1e-12
    return out


@dataclass(frozen=True)
class Samples:
    """Training and validation windows with their scaled targets.

    ``Xtr`` (n_train, seq_len, k), ``ytr`` (n_train,), ``Xva`` (n_val, seq_len, k), ``yva`` (n_val,);
    the windows as :class:`PanelWindows` (``np.asarray`` materialises them).
    """

    Xtr: PanelWindows
    ytr: np.ndarray
    Xva: PanelWindows
    yva: np.ndarray


def training_samples(
    pairs: Sequence[tuple[pd.DataFrame, pd.Series]],
    *,
    features: Sequence[str],
    seq_len: int,
    horizon: int,
    val_fraction: float,
    batch_size: int,
    variance: bool | None = None,
    scaling: Scaling = "standard",
    latest: int | None = None,
    who: str = "RnnForecaster",
    target_scale: TargetScale | None = None,
) -> tuple[SequenceScaler, Samples]:
    """Scalers from every frame's rows, windows per frame, a purged validation tail per frame.

    Parameters
    ----------
    pairs : list of (frame, target)
        Training rows of one or several assets and the target aligned to them.
    target_scale : {"variance", "positive", "signed"}
        Variance targets are floored at the smallest positive training ``rv``
        and scaled by their mean; other positive targets (an absolute return)
        scaled by their mean; signed targets by their standard deviation.
        ``variance=True`` / ``False`` is the older spelling of "variance" / "signed".
    latest : int, optional
        Use only the latest ``latest`` samples of each frame (scalers still from all rows).

    Returns
    -------
    (scaler, samples)
        Each frame's latest ``val_fraction`` of samples forms its part of the
        validation tail; the ``horizon`` samples before it are dropped so that no
        training target overlaps the validation period.
    """
    kind: TargetScale = target_scale or ("variance" if variance else "signed")
    need = seq_len + horizon + 10
    for frame, _ in pairs:
        if len(frame) < need:
            raise ParameterError(
                f"{who}: seq_len={seq_len} is too long for {len(frame)} training rows (with horizon={horizon}, at "
                f"least seq_len + horizon + 10 = {need} rows are needed). Hint: a shorter seq_len or more history."
            )
    rv = np.concatenate([f["rv"].to_numpy(dtype=float) for f, _ in pairs if "rv" in f.columns] or [np.array([1.0])])
    pos = rv[np.isfinite(rv) & (rv > 0)]
    floor = float(pos.min()) if pos.size else 1e-12
    floors = input_floors([f for f, _ in pairs], features)
    raws = [raw_inputs(f, features, floors) for f, _ in pairs]
    stacked = np.vstack(raws)
    for j, c in enumerate(features):
        if not np.isfinite(stacked[:, j]).any():
            raise DataError(
                f"{who}: feature {c!r} has no finite value in the training rows. Hint: drop it from features."
            )
    x_mean, x_std = _centre_and_spread(stacked, scaling)
    parts_tr, parts_va = [], []
    for raw, (_, y) in zip(raws, pairs, strict=True):
        X, ok = panel_windows((raw - x_mean) / x_std, seq_len)
        train, val = _purged_split(X, y, ok, latest, val_fraction, horizon, who=who, seq_len=seq_len)
        parts_tr.append(train)
        parts_va.append(val)
    Xtr, Xva = (PanelWindows.concat([p[0] for p in parts]) for parts in (parts_tr, parts_va))
    ytr, yva = (np.concatenate([p[1] for p in parts]) for parts in (parts_tr, parts_va))
    if len(Xtr) < max(10, batch_size // 4):
        raise ParameterError(
            f"{who}: only {len(Xtr) + len(Xva)} usable training samples (seq_len={seq_len}, horizon={horizon}); too "
            "few to split off a validation tail. Hint: more history or a shorter seq_len."
        )
    both = np.concatenate([ytr, yva])
    if kind == "variance":
        ytr, yva, both = (np.maximum(a, floor) for a in (ytr, yva, both))
        y_scale = float(both.mean())
    elif kind == "positive":
        y_scale = float(both.mean()) or 1.0
    else:
        y_scale = float(both.std()) or 1.0
    scaler = SequenceScaler(tuple(features), floor, x_mean, x_std, y_scale, floors)
    return scaler, Samples(Xtr, ytr / y_scale, Xva, yva / y_scale)


def _centre_and_spread(stacked: np.ndarray, scaling: Scaling) -> tuple[np.ndarray, np.ndarray]:
    """Each input's centre and spread over the training rows (a spread of 0 or NaN as 1)."""
    if scaling == "standard":
        x_mean, x_std = np.nanmean(stacked, axis=0), np.nanstd(stacked, axis=0)
    elif scaling == "minmax":
        x_mean = np.nanmin(stacked, axis=0)
        x_std = np.nanmax(stacked, axis=0) - x_mean
    else:
        x_mean, x_std = np.zeros(stacked.shape[1]), np.ones(stacked.shape[1])
    x_std[~(x_std > 0)] = 1.0
    return x_mean, x_std


def _purged_split(
    X: PanelWindows,
    y: pd.Series,
    ok: np.ndarray,
    latest: int | None,
    val_fraction: float,
    horizon: int,
    *,
    who: str,
    seq_len: int,
) -> tuple[tuple[PanelWindows, np.ndarray], tuple[PanelWindows, np.ndarray]]:
    """One frame's complete windows with a finite target (its ``latest`` only, where given),
    split into training samples and a validation tail with ``horizon`` samples between
    them dropped, so that no training target overlaps the validation period.
    """
    target = y.to_numpy(dtype=float)
    ok = ok & np.isfinite(target)
    X, target = X[ok], target[ok]
    if latest is not None:
        X, target = X[-latest:], target[-latest:]
    m = len(X)
    n_val = max(1, round(val_fraction * m))
    n_train = m - n_val - horizon
    if n_train < 1:
        raise ParameterError(
            f"{who}: only {m} usable training samples (seq_len={seq_len}, horizon={horizon}); too few to split "
            "off a validation tail. Hint: more history or a shorter seq_len."
        )
    return (X[:n_train], target[:n_train]), (X[m - n_val :], target[m - n_val :])


def training_samples_by_asset(
    pairs: Sequence[tuple[pd.DataFrame, pd.Series]], **kwargs
) -> tuple[list[SequenceScaler], Samples]:
    """:func:`training_samples` with each frame scaled by its own training rows: per asset
    its floors, input means and deviations and target scale, the samples of all joined
    (each asset's validation tail its own, as in the pooled layout). A network pooled
    over assets of different volatility levels then learns from each asset's dynamics
    around its own level. Takes :func:`training_samples`'s keywords.
    """
    scalers, parts = [], []
    for pair in pairs:
        scaler, samples = training_samples([pair], **kwargs)
        scalers.append(scaler)
        parts.append(samples)
    joined = Samples(
        PanelWindows.concat([p.Xtr for p in parts]),
        np.concatenate([p.ytr for p in parts]),
        PanelWindows.concat([p.Xva for p in parts]),
        np.concatenate([p.yva for p in parts]),
    )
    return scalers, joined
