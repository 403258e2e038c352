"""Features from validated OHLCV bars: returns, realized variance, HAR terms, lags.

Every function takes pandas objects indexed by trading date, as returned by
:func:`engine.data.load`, and returns pandas objects on the same index. A value
labelled ``t`` uses bars up to and including ``t``: it is known at the close
of ``t`` and may feed a forecast for ``t + 1``, never one for ``t``.

Variance is daily, in log-return units squared (annualise only for display).
The NumPy kernels behind the estimators are in :mod:`signals.realized`.

Examples
--------
>>> from engine.data import load
>>> bars = load("embedded:sp500")
>>> rv = realized_variance(bars, "garman_klass")            # daily estimate
>>> rv22 = realized_variance(bars, "yang_zhang", window=22)  # 22-day estimate
>>> frame = feature_frame(bars, estimator="garman_klass")   # model-ready frame
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from core.calendar import TRADING_DAYS  # the one annualisation factor (variance stays daily elsewhere)
from core.checks import UNSET, check_int, renamed
from core.errors import DataError, ParameterError
from core.frameinfo import frame_info, set_info
from signals import realized

__all__ = [
    "ESTIMATORS",
    "OHLC_ESTIMATORS",
    "TRADING_DAYS",
    "Estimator",
    "FeatureSpec",
    "annual_vol",
    "by_symbol",
    "feature_frame",
    "har_terms",
    "join_vix",
    "lagged",
    "log_returns",
    "realized_variance",
    "symbols",
    "volume_ratio",
]


Estimator = Literal["close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang", "realized"]
#: The estimators computed from daily bars (every estimator but "realized", which
#: reads the realized variance of intraday bars, :mod:`signals.intraday`).
ESTIMATORS: tuple[Estimator, ...] = tuple(e for e in get_args(Estimator) if e != "realized")
#: Estimators that need open, high and low as well as the close.
OHLC_ESTIMATORS: frozenset[str] = frozenset(ESTIMATORS) - {"close_to_close"}
#: Realized measures of intraday bars (:func:`engine.data.load` with ``intraday=True``)
#: that :func:`feature_frame` carries into the feature frame when the bars have them.
INTRADAY_MEASURES = ("bv", "rs_pos", "rs_neg", "rq")
#: Estimators that already cover the overnight move, so ``overnight=True`` means nothing for them.
_COVER_OVERNIGHT = frozenset({"close_to_close", "yang_zhang"})


def annual_vol(variance):
    r"""Daily variance to annualised volatility, :math:`\sqrt{252\,\sigma^2}` (a fraction)."""
    return np.sqrt(TRADING_DAYS * variance)


def _symbol(obj: pd.Series | pd.DataFrame) -> str:
    symbols = frame_info(obj).symbols
    if len(symbols) == 1:
        return str(symbols[0])
    return str(obj.name) if isinstance(obj, pd.Series) and obj.name is not None else "the series"


def _is_universe(bars: pd.DataFrame) -> bool:
    return isinstance(bars.columns, pd.MultiIndex)


def _check_index(obj: pd.Series | pd.DataFrame, name: str) -> None:
    if not isinstance(obj.index, pd.DatetimeIndex):
        raise DataError(
            f"{name} must be indexed by trading date (a DatetimeIndex); found a "
            f"{type(obj.index).__name__}. Hint: load data with engine.data.load, or set "
            f"the index with pd.to_datetime(...)."
        )


def _check_positive_int(value: object, name: str) -> int:
    check_int("features", name, value, 1, error=DataError)
    return int(value)  # type: ignore[call-overload]  # checked to be an integer just above


def _check_rows(n_rows: int, needed: int, what: str, symbol: str) -> None:
    if n_rows < needed:
        raise DataError(
            f"too few rows for {what}: it needs at least {needed} bars, but {symbol} has "
            f"{n_rows}. Hint: load a longer history (an earlier start date) or use a shorter window."
        )


def symbols(frame: pd.DataFrame) -> list[str]:
    """The symbols in a frame from :func:`engine.data.load`, in order."""
    if isinstance(frame.columns, pd.MultiIndex):
        return [str(s) for s in frame.columns.get_level_values(0).unique()]
    return list(frame_info(frame).symbols) or ["series"]


def by_symbol(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One bars frame per symbol, each over its own listed span (no leading or
    trailing empty rows), its :class:`core.frameinfo.FrameInfo` narrowed to its own
    symbol (:meth:`~core.frameinfo.FrameInfo.for_symbol`: pandas deep-copies ``attrs``
    into the result of every operation, so a universe-wide description on each asset's
    frame made every operation on it cost O(assets), and scoring O(assets^2)).
    """
    if not isinstance(frame.columns, pd.MultiIndex):
        return {symbols(frame)[0]: frame}
    info = frame_info(frame)
    out = {}
    for sym in symbols(frame):
        sub = frame[sym].dropna(how="all")
        sub.columns.name = "field"
        set_info(sub, info.for_symbol(sym))
        out[sym] = sub
    return out


def _per_symbol(bars: pd.DataFrame, fn) -> pd.DataFrame:
    """Apply ``fn`` to each symbol's bars over its listed span; one column per symbol."""
    return pd.DataFrame({sym: fn(b) for sym, b in by_symbol(bars).items()}).reindex(bars.index)


def log_returns(close: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    r"""Daily log returns :math:`r_t = \ln(C_t / C_{t-1})`.

    Parameters
    ----------
    close : Series or DataFrame, shape (n_dates,) or (n_dates, n_symbols)
        Close prices indexed by date. A bars frame is accepted too: its
        ``close`` column (or ``close`` field per symbol) is used.

    Returns
    -------
    Series or DataFrame, same shape; the first row is NaN. Named ``return``.
    """
    if isinstance(close, pd.DataFrame):
        if _is_universe(close):
            close = close.xs("close", axis=1, level=-1)
        elif "close" in close.columns:
            close = close["close"]
    _check_index(close, "close")
    out = np.log(close).diff()
    if isinstance(out, pd.Series):
        out = out.rename("return")
    return out


def _arrays(bars: pd.DataFrame, estimator: str, symbol: str, overnight: bool = False) -> dict[str, np.ndarray]:
    if estimator == "realized":
        if "realized" not in bars.columns:
            raise DataError(
                f"estimator='realized' reads the realized variance of intraday bars, and the data for {symbol} has "
                "none. Hint: load the intraday bars with engine.data.load(..., intraday=True), or choose a range "
                "estimator such as 'garman_klass'."
            )
        needed = ["realized", "open", "close"] if overnight else ["realized"]
        return {c: bars[c].to_numpy(dtype=float) for c in needed}
    needed = ["open", "high", "low", "close"] if estimator in OHLC_ESTIMATORS else ["close"]
    missing = [c for c in needed if c not in bars.columns]
    if missing:
        have = ", ".join(c for c in ("open", "high", "low", "close") if c in bars.columns) or "none"
        raise DataError(
            f"estimator={estimator!r} needs {', '.join(needed)}; the data for {symbol} lacks "
            f"{', '.join(missing)} (has {have}). Hint: use estimator='close_to_close' for "
            f"close-only data, or load OHLC bars."
        )
    return {c: bars[c].to_numpy(dtype=float) for c in needed}


def realized_variance(
    bars: pd.DataFrame,
    estimator: Estimator = "garman_klass",
    *,
    window: int = 1,
    overnight: bool = False,
) -> pd.Series | pd.DataFrame:
    r"""Realized daily variance from OHLC bars.

    Parameters
    ----------
    bars : DataFrame, shape (n_dates, n_fields)
        Validated bars from :func:`engine.data.load`: columns ``open``, ``high``,
        ``low``, ``close`` (close alone is enough for ``close_to_close``). A
        universe frame (columns ``(symbol, field)``) gives one column per symbol.
    estimator : {"close_to_close", "parkinson", "garman_klass", "rogers_satchell", "yang_zhang", "realized"}
        See :mod:`signals.realized` for each formula; "realized" is the realized
        variance of intraday returns, the ``realized`` column of bars loaded with
        ``intraday=True`` (:mod:`signals.intraday`).
    window : int, default 1
        1 gives the daily estimate. ``k > 1`` gives the k-day estimate ending at
        each date, in daily units: the mean of the daily estimates over the
        window, except Yang–Zhang which uses its own k-day formula
        (:func:`signals.realized.yang_zhang_rolling`).
    overnight : bool, default False
        Add the squared overnight return :math:`\ln(O_t/C_{t-1})^2` to a range
        estimator (Parkinson, Garman–Klass, Rogers–Satchell) so that it covers
        the whole close-to-close day. Refused for estimators that already do.

    Returns
    -------
    Series of daily variance (log-return units squared), named after the
    estimator (``garman_klass`` or ``garman_klass_22d``); or a DataFrame with
    one column per symbol for a universe.
    """
    if estimator not in get_args(Estimator):
        raise DataError(f"estimator must be one of {', '.join(get_args(Estimator))}; got {estimator!r}.")
    window = _check_positive_int(window, "window")
    if overnight and estimator in _COVER_OVERNIGHT:
        raise DataError(
            f"overnight=True adds the overnight return to a range estimator, but "
            f"estimator={estimator!r} already covers the overnight move. Hint: drop overnight=True."
        )
    if not isinstance(bars, pd.DataFrame):
        raise DataError(f"bars must be a DataFrame of OHLC bars; got {type(bars).__name__}.")
    _check_index(bars, "bars")
    if _is_universe(bars):
        return _per_symbol(bars, lambda b: realized_variance(b, estimator, window=window, overnight=overnight))

    symbol = _symbol(bars)
    a = _arrays(bars, estimator, symbol, overnight)
    needs_prev = estimator in ("close_to_close", "yang_zhang") or overnight
    _check_rows(len(bars), window + int(needs_prev), f"estimator={estimator!r} with window={window}", symbol)

    if estimator == "realized":
        daily = a["realized"]
    elif estimator == "close_to_close":
        daily = realized.close_to_close(a["close"])
    elif estimator == "parkinson":
        daily = realized.parkinson(a["high"], a["low"])
    elif estimator == "garman_klass":
        daily = realized.garman_klass(a["open"], a["high"], a["low"], a["close"])
    elif estimator == "rogers_satchell":
        daily = realized.rogers_satchell(a["open"], a["high"], a["low"], a["close"])
    else:
        daily = realized.yang_zhang(a["open"], a["high"], a["low"], a["close"])
    if overnight:
        daily = daily + realized.overnight_returns(a["open"], a["close"]) ** 2

    if window == 1:
        values = daily
    elif estimator == "yang_zhang":
        values = realized.yang_zhang_rolling(a["open"], a["high"], a["low"], a["close"], window)
    else:
        values = realized.rolling_mean(daily, window)
    name = estimator if window == 1 else f"{estimator}_{window}d"
    return pd.Series(values, index=bars.index, name=name)


def har_terms(rv: pd.Series, lags: Sequence[int] = (1, 5, 22)) -> pd.DataFrame:
    r"""HAR aggregates of a daily variance series (Corsi, 2009).

    .. math:: RV^{(k)}_t = \frac1k \sum_{j=0}^{k-1} RV_{t-j}

    Parameters
    ----------
    rv : Series, shape (n_dates,)
        Daily realized variance.
    lags : sequence of int, default (1, 5, 22)
        Averaging horizons in trading days (day, week, month).

    Returns
    -------
    DataFrame, shape (n_dates, len(lags)), columns ``har_1``, ``har_5``, ``har_22``;
    the first ``k - 1`` rows of ``har_k`` are NaN.
    """
    _check_index(rv, "rv")
    if len(lags) == 0:
        raise DataError("lags must name at least one horizon, e.g. (1, 5, 22); got ().")
    lags = [_check_positive_int(k, "lags") for k in lags]
    if len(set(lags)) != len(lags):
        raise DataError(f"lags must not repeat a horizon; got {tuple(lags)}.")
    _check_rows(int(rv.notna().sum()), max(lags), f"HAR terms with lags={tuple(lags)}", _symbol(rv))
    x = rv.to_numpy(dtype=float)
    return pd.DataFrame({f"har_{k}": realized.rolling_mean(x, k) for k in lags}, index=rv.index)


def lagged(x: pd.Series | pd.DataFrame, lags: Sequence[int]) -> pd.DataFrame:
    """Lagged copies: column ``{name}_lag{k}`` at date t holds the value at t - k rows.

    Parameters
    ----------
    x : Series or DataFrame, shape (n_dates,) or (n_dates, n_columns)
    lags : sequence of int >= 1

    Returns
    -------
    DataFrame, shape (n_dates, n_columns * len(lags)).
    """
    _check_index(x, "x")
    lags = [_check_positive_int(k, "lags") for k in lags]
    frame = x.to_frame(name=x.name if x.name is not None else "x") if isinstance(x, pd.Series) else x
    cols = {f"{c}_lag{k}": frame[c].shift(k) for c in frame.columns for k in lags}
    return pd.DataFrame(cols, index=frame.index)


def volume_ratio(volume: pd.Series, window: int = 20) -> pd.Series:
    r"""Volume over its trailing mean, :math:`V_t / \frac1w\sum_{j=0}^{w-1} V_{t-j}`.

    Above 1 means heavier trading than usual. NaN for the first ``window - 1``
    rows and where the trailing mean is zero.

    Parameters
    ----------
    volume : Series, shape (n_dates,)
    window : int, default 20
    """
    _check_index(volume, "volume")
    window = _check_positive_int(window, "window")
    _check_rows(len(volume), window, f"volume_ratio with window={window}", _symbol(volume))
    v = volume.to_numpy(dtype=float)
    mean = realized.rolling_mean(v, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean > 0, v / mean, np.nan)
    return pd.Series(ratio, index=volume.index, name="volume_ratio")


def join_vix(frame: pd.DataFrame, vix: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Join the VIX close onto ``frame`` by date, as a ``vix`` column.

    Dates that the VIX series lacks stay NaN (the embedded VIX covers 2014–2018
    only); nothing is filled. The frame's ``vix_coverage``
    (:func:`core.frameinfo.frame_info`) records the share of rows with a value.

    Parameters
    ----------
    frame : DataFrame indexed by date
    vix : Series, or a frame from ``load("embedded:vix")`` (its ``close`` column)
    """
    _check_index(frame, "frame")
    if isinstance(vix, pd.DataFrame):
        if "close" not in vix.columns:
            raise DataError(
                f"vix must be a Series or a frame with a 'close' column; found columns {list(vix.columns)}. "
                f"Hint: vix = engine.data.load('embedded:vix')."
            )
        vix = vix["close"]
    _check_index(vix, "vix")
    out = frame.copy()
    out["vix"] = vix.reindex(frame.index).to_numpy(dtype=float)
    coverage = float(out["vix"].notna().mean()) if len(out) else 0.0
    set_info(out, dataclasses.replace(frame_info(frame), vix_coverage=coverage))
    return out


def _check_one_symbol(bars: Any) -> None:
    """Refuse anything but one symbol's bars, naming what was given instead."""
    if not isinstance(bars, pd.DataFrame):
        raise DataError(f"bars must be a DataFrame of OHLC bars; got {type(bars).__name__}.")
    if _is_universe(bars):
        symbols = list(bars.columns.get_level_values(0).unique())
        raise DataError(
            f"feature_frame takes one symbol's bars; got a universe of {len(symbols)} symbols "
            f"({', '.join(map(str, symbols[:5]))}). Hint: feature_frame(bars[{symbols[0]!r}])."
        )


def feature_frame(
    bars: pd.DataFrame,
    *,
    estimator: Estimator = "garman_klass",
    overnight: bool = False,
    har_lags: Sequence[int] = (1, 5, 22),
    volume_window: int = 20,
    vix: pd.Series | pd.DataFrame | None = None,
    target: Any = UNSET,
) -> pd.DataFrame:
    """Model-ready features for one symbol, one row per trading date.

    Columns: ``close``, ``return`` (log return), ``abs_return`` (its absolute value, the
    series an absolute-return model reads), ``rv`` (the daily realized variance given
    by ``estimator``), the HAR terms of ``rv`` (``har_1``, ``har_5``, ``har_22``),
    ``volume_ratio`` when the bars carry volume, and ``vix`` when given. Row
    ``t`` is known at the close of ``t``. Warm-up rows keep their NaNs so that
    the caller decides what to drop.

    Parameters
    ----------
    bars : DataFrame, shape (n_dates, n_fields)
        One symbol's validated bars (for a universe, pass ``bars[symbol]``).
    estimator : Estimator, default "garman_klass"
        Realized-variance estimator for ``rv``, the variance target. ``target`` is
        the deprecated spelling (``target`` now means only a forecast kind).
    overnight : bool, default False
        See :func:`realized_variance`.
    har_lags : sequence of int, default (1, 5, 22)
    volume_window : int, default 20
    vix : Series or DataFrame, optional
        Joined by date, see :func:`join_vix`.
    """
    estimator = renamed("feature_frame", "target", target, "estimator", estimator, "garman_klass")
    _check_one_symbol(bars)
    out = pd.DataFrame(index=bars.index)
    out["close"] = bars["close"]
    out["return"] = log_returns(bars["close"])
    out["abs_return"] = out["return"].abs()
    rv = realized_variance(bars, estimator, overnight=overnight).rename("rv")
    rv.attrs = bars.attrs
    out["rv"] = rv
    out = out.join(har_terms(rv, har_lags))
    if "volume" in bars.columns:
        vol = bars["volume"].copy()
        vol.attrs = bars.attrs
        out["volume_ratio"] = volume_ratio(vol, volume_window)
    for measure in INTRADAY_MEASURES:
        if measure in bars.columns:
            out[measure] = bars[measure].astype(float)
    set_info(out, dataclasses.replace(frame_info(bars), estimator=estimator, overnight=overnight))
    if vix is not None:
        out = join_vix(out, vix)
    return out


@dataclass(frozen=True)
class FeatureSpec:
    """How each symbol's features are built: :func:`feature_frame`'s settings.

    A config's ``[features]`` table is this object (as ``[strategy]`` is
    :class:`strategies.spec.StrategySpec`), so the config and the Python API share one
    set of defaults and one set of checks. ``target`` is the deprecated spelling of
    ``estimator`` in a config (``target`` now means only a forecast kind).

    Attributes
    ----------
    estimator : Estimator, default "garman_klass", the realized-variance estimator of ``rv``
    overnight : bool, default False, see :func:`realized_variance`
    har_lags : tuple of int, default (1, 5, 22)
    volume_window : int, default 20
    """

    RENAMED: ClassVar[dict[str, str]] = {"target": "estimator"}

    estimator: Estimator = "garman_klass"
    overnight: bool = False
    har_lags: tuple[int, ...] = (1, 5, 22)
    volume_window: int = 20

    def __post_init__(self) -> None:
        if not self.har_lags or any(k < 1 for k in self.har_lags):
            raise ParameterError(
                f"features.har_lags must be a non-empty list of positive integers; got {list(self.har_lags)}. Hint: "
                "[1, 5, 22]."
            )
        if self.volume_window < 1:
            raise ParameterError(f"features.volume_window must be >= 1; got {self.volume_window}.")

    @property
    def rows_needed(self) -> int:
        """The fewest bars a symbol needs for one complete row of features."""
        return max(max(self.har_lags), self.volume_window) + 1

    def frame(self, bars: pd.DataFrame, vix: pd.Series | pd.DataFrame | None = None) -> pd.DataFrame:
        """One symbol's features with these settings (:func:`feature_frame`)."""
        return feature_frame(
            bars,
            estimator=self.estimator,
            overnight=self.overnight,
            har_lags=self.har_lags,
            volume_window=self.volume_window,
            vix=vix,
        )
