"""One shared-cash portfolio for a universe, weighted from variance forecasts.

Each scheme of :class:`strategies.spec.PortfolioSpec` turns one forecaster's
daily variance forecasts for every asset (dates x assets) into weights held
the day forecast (decided at the close before, see :mod:`strategies.timing`):
inverse volatility, equal risk contributions under the covariance forecast of
:mod:`strategies.risk`, that mix scaled to a portfolio volatility target, or
per-asset targets. :func:`portfolio_table` runs every (forecaster, scheme)
through one vectorbt portfolio with shared cash and scores them all and an
equal-weight portfolio (rebalanced daily) on the same days.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import pandas as pd

from core.checks import check_choice
from core.errors import ParameterError
from core.evaluation.performance import TRADING_DAYS
from core.tables import ScoredTable, TableSchema, Window
from strategies.backtest import BacktestResult, backtests
from strategies.calibration import return_variance, shared_scale
from strategies.evaluate import common_window, sharpe_gaps
from strategies.risk import (
    equal_risk_weights,
    inverse_vol_weights,
    second_moments,
    to_correlation,
)
from strategies.spec import DEFAULT_SPEC, PortfolioScheme, PortfolioSpec, StrategySpec
from strategies.vol_target import smoothed_variance, vol_target_weights

#: The default portfolio spec (``[strategy.portfolio]``'s defaults).
DEFAULT_PORTFOLIO = PortfolioSpec()

__all__ = [
    "DEFAULT_PORTFOLIO",
    "NO_PORTFOLIO",
    "PORTFOLIO_COLUMNS",
    "PORTFOLIO_TABLE",
    "PortfolioResult",
    "PortfolioWeights",
    "correlation_forecast",
    "portfolio_table",
    "portfolio_weights",
    "weights_of_schemes",
]

#: Columns of :func:`portfolio_table`, in order.
PORTFOLIO_COLUMNS = (
    "sharpe",
    "sharpe_vs_ew",
    "sharpe_vs_ew_se",
    "max_drawdown",
    "annual_return",
    "realised_vol",
    "target_vol",
    "forecast_vol",
    "mean_gross",
    "max_risk_share",
    "turnover_per_year",
    "costs_per_year",
    "financing_per_year",
)

#: :func:`portfolio_table`'s layout: its columns and those a report shows at once.
PORTFOLIO_TABLE = TableSchema(
    columns=PORTFOLIO_COLUMNS,
    main=(
        "sharpe",
        "sharpe_vs_ew",
        "sharpe_vs_ew_se",
        "realised_vol",
        "target_vol",
        "max_risk_share",
        "turnover_per_year",
    ),
)


#: Dates per block of correlation matrices at most: memory is CHUNK x assets², whatever the number of days.
CHUNK = 64
#: Bytes of one block at most: fewer dates a block where CHUNK of them would take more (64 dates of
#: 500 assets are 128 MB; one date of 3,000 assets is 72 MB).
BLOCK_BYTES = 128_000_000


def _correlation_chunks(
    returns: pd.DataFrame, spec: PortfolioSpec, dates: pd.DatetimeIndex, chunk: int | None = None
) -> Iterator[tuple[slice, np.ndarray]]:
    """:func:`correlation_forecast` in blocks of ``chunk`` dates: (slice of ``dates``, (m, n, n) array)."""
    full = returns.dropna()
    x = full.to_numpy(dtype=float)
    # row i uses rows < i; a date between return rows takes the next row's (still rows before it)
    pos = np.searchsorted(full.index.to_numpy(), dates.to_numpy(), side="left")
    pos = np.where(pos < len(full), pos, len(full) + 1)  # past the last row: no forecast (NaN), as before
    kwargs: dict[str, Any] = (
        {"halflife": spec.halflife, "min_periods": min(2 * spec.halflife, 252)}
        if spec.correlation == "ewma"
        else {"window": spec.window}
    )
    per_block = chunk or max(1, min(CHUNK, BLOCK_BYTES // (8 * x.shape[1] ** 2)))
    for start, block in second_moments(x, pos, chunk=per_block, **kwargs):
        ok = np.isfinite(block[:, 0, 0])
        if ok.all():  # in place: no copy of the block
            to_correlation(block, inplace=True)
        else:
            block[ok] = to_correlation(block[ok])
        yield slice(start, start + len(block)), block


def correlation_forecast(returns: pd.DataFrame, spec: PortfolioSpec, dates: pd.DatetimeIndex) -> np.ndarray:
    """The causal correlation matrix for each of ``dates``: from the returns strictly before it.

    Parameters
    ----------
    returns : DataFrame (dates x assets), daily log returns; rows where an asset has none are skipped
    spec : PortfolioSpec, for the estimator and its length
    dates : the days weights are decided for

    Returns
    -------
    ndarray, shape (len(dates), n_assets, n_assets); NaN before enough history. Every date's
    matrix at once: :func:`portfolio_weights` takes them in chunks instead, so that memory
    does not grow with days x assets².
    """
    n = returns.shape[1]
    out = np.full((len(dates), n, n), np.nan)
    for where, block in _correlation_chunks(returns, spec, dates):
        out[where] = block
    return out


@dataclass(frozen=True)
class PortfolioWeights:
    """A scheme's weights and what the covariance forecast says of them.

    Attributes
    ----------
    weights : DataFrame (dates x assets), NaN rows where no weight is decided
    risk_shares : DataFrame (dates x assets), each asset's ex-ante share of the portfolio variance
    forecast_vol : Series, the ex-ante annual volatility of the weights held
    """

    weights: pd.DataFrame
    risk_shares: pd.DataFrame
    forecast_vol: pd.Series


def portfolio_weights(
    variance: pd.DataFrame,
    returns: pd.DataFrame,
    scheme: PortfolioScheme,
    spec: PortfolioSpec = DEFAULT_PORTFOLIO,
    *,
    smooth: int = DEFAULT_SPEC.smooth,
) -> PortfolioWeights:
    """Weights of one scheme from daily variance forecasts.

    Parameters
    ----------
    variance : DataFrame (dates x assets)
        Daily variance forecasts of the returns traded, labelled by the date
        forecast; a row with any asset missing gets no weight.
    returns : DataFrame (dates x assets)
        Daily log returns, for the correlation (only rows before each date are used).
    scheme : {"inverse_vol", "equal_risk", "vol_target", "per_asset"}
    spec : PortfolioSpec
    smooth : int >= 1
        Size on the mean of the last ``smooth`` forecasts, as vol-targeting does.

    Returns
    -------
    PortfolioWeights
    """
    check_choice("portfolio_weights", "scheme", scheme, get_args(PortfolioScheme))
    return weights_of_schemes({"": variance}, returns, (scheme,), spec, smooth=smooth)[("", scheme)]


def weights_of_schemes(
    variances: Mapping[str, pd.DataFrame],
    returns: pd.DataFrame,
    schemes: Sequence[PortfolioScheme],
    spec: PortfolioSpec = DEFAULT_PORTFOLIO,
    *,
    smooth: int = DEFAULT_SPEC.smooth,
) -> dict[tuple[str, str], PortfolioWeights]:
    """:func:`portfolio_weights` of every scheme on every model's forecasts, by (model, scheme):
    the same numbers, with the correlation forecast of each chunk of dates and its equal-risk
    weights computed once for all of them (they depend on the returns alone), and every
    weight's risk in one matrix product a chunk.

    Parameters
    ----------
    variances : dict of model to DataFrame (dates x assets), all on one index and columns
    returns, spec, smooth : as :func:`portfolio_weights`
    schemes : the schemes wanted
    """
    first = next(iter(variances.values()))
    for model, variance in variances.items():
        if list(returns.columns) != list(variance.columns):
            raise ParameterError(
                f"portfolio_weights: returns columns {list(returns.columns)} must match variance columns "
                f"{list(variance.columns)}."
            )
        if not variance.index.equals(first.index):
            raise ParameterError(f"weights_of_schemes: the forecasts of {model!r} are on other dates than the first.")
    vols, per_asset = {}, {}
    for model, variance in variances.items():
        v = smoothed_variance(variance, smooth)
        v = v.where(v.notna().all(axis=1))
        vols[model] = np.sqrt(v.to_numpy(dtype=float))
        if "per_asset" in schemes:
            per_asset[model] = _per_asset_weights(v, spec)
    T, n = first.shape
    out: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {
        (m, sch): (np.full((T, n), np.nan), np.full((T, n), np.nan), np.full(T, np.nan))
        for m in vols
        for sch in schemes
    }
    erc_needed = "equal_risk" in schemes or ("vol_target" in schemes and spec.base == "equal_risk")
    # chunks of dates: a universe of hundreds of assets holds a few (n, n) matrices, not one per day
    for where, corr in _correlation_chunks(returns, spec, first.index):
        # equal risk under D R D is D^-1 times equal risk under R, rescaled (see _scheme_weights):
        # solved once a chunk for every model
        erc = equal_risk_weights(corr) if erc_needed else None
        cvols = {model: vol[where] for model, vol in vols.items()}
        chunks = {model: w[where] for model, w in per_asset.items()}
        for key, (w, shares, fvol) in _scheme_weights(cvols, corr, erc, schemes, spec, chunks).items():
            w_all, shares_all, fvol_all = out[key]
            w_all[where], shares_all[where], fvol_all[where] = w, shares, fvol
    return {
        key: PortfolioWeights(
            pd.DataFrame(w, index=first.index, columns=first.columns),
            pd.DataFrame(shares, index=first.index, columns=first.columns),
            pd.Series(fvol, index=first.index, name="forecast_vol"),
        )
        for key, (w, shares, fvol) in out.items()
    }


def _per_asset_weights(v: pd.DataFrame, spec: PortfolioSpec) -> np.ndarray:
    targets = spec.asset_targets or {}
    missing = [s for s in v.columns if s not in targets]
    if missing:
        raise ParameterError(
            f"strategy.portfolio.asset_targets has no target for {', '.join(map(str, missing))}; every asset "
            f"needs one. Hint: asset_targets = {{ {missing[0]} = 0.10 }}."
        )
    return vol_target_weights(v, target_vol=targets, max_leverage=spec.max_leverage, smooth=1).to_numpy()


def _scheme_weights(
    cvols: Mapping[str, np.ndarray],
    corr: np.ndarray,
    erc: np.ndarray | None,
    schemes: Sequence[str],
    spec: PortfolioSpec,
    per_asset: Mapping[str, np.ndarray],
) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    r"""Each scheme's weights on a chunk of dates for each model's volatilities ``cvols``
    (T, n), capped at the leverage limit, with their risk shares and ex-ante annual volatility,
    by (model, scheme).

    The covariance :math:`\Sigma = D R D` (``D = diag(cvol)``, ``R = corr``) is never built:
    with :math:`y = D w`, :math:`w^\top \Sigma w = y^\top R y` and
    :math:`w_i (\Sigma w)_i = y_i (R y)_i`, so every weight's risk is one product with ``R``
    (all of them in one call, which reads the chunk's matrices once). The equal-risk weights
    under :math:`\Sigma` are :math:`D^{-1} x` rescaled to sum to one, ``x`` (``erc``) those under
    :math:`R`: each asset's contribution :math:`x_i (R x)_i` is the same.
    """
    raw: dict[tuple[str, str], np.ndarray] = {}
    for model, cvol in cvols.items():
        for scheme in schemes:
            if scheme == "per_asset":
                raw[(model, scheme)] = per_asset[model]
            elif scheme == "inverse_vol" or (scheme == "vol_target" and spec.base != "equal_risk"):
                raw[(model, scheme)] = inverse_vol_weights(cvol)
            else:
                assert erc is not None
                w = erc / np.where(cvol > 0, cvol, np.nan)
                raw[(model, scheme)] = w / w.sum(axis=1, keepdims=True)
    targeted = [key for key in raw if key[1] == "vol_target"]
    if targeted:
        _, totals = _quadratic([raw[key] * cvols[key[0]] for key in targeted], corr)
        for key, total in zip(targeted, totals, strict=True):
            raw[key] = raw[key] * (spec.target_vol / (np.sqrt(total) * np.sqrt(TRADING_DAYS)))[:, None]
    capped = {}
    for key, w in raw.items():
        gross = np.abs(w).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = w * np.minimum(1.0, spec.max_leverage / gross)[:, None]
        capped[key] = np.where(np.isfinite(w).all(axis=1, keepdims=True), w, np.nan)
    ys = [w * cvols[key[0]] for key, w in capped.items()]
    rys, totals = _quadratic(ys, corr)
    out = {}
    for (key, w), y, ry, total in zip(capped.items(), ys, rys, totals, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = y * ry / total[:, None]
        out[key] = (w, shares, np.sqrt(total) * np.sqrt(TRADING_DAYS))
    return out


def _quadratic(ys: Sequence[np.ndarray], corr: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    r""":math:`R y` (T, n) and :math:`y^\top R y` (T,) per row of each ``y`` (T, n), by one batched
    matrix product for all of them: memory-bound, so ``k`` vectors a row cost about what one does.
    """
    stacked = np.stack(ys, axis=2)  # (T, n, k)
    ry = np.matmul(corr, stacked)
    total = np.einsum("tik,tik->tk", stacked, ry)
    return [ry[:, :, j] for j in range(len(ys))], [total[:, j] for j in range(len(ys))]


def _panel(frames: Mapping[str, pd.DataFrame], column: str) -> pd.DataFrame:
    return pd.concat({sym: f[column] for sym, f in frames.items()}, axis=1, sort=True)


@dataclass(frozen=True)
class PortfolioResult:
    """What :func:`portfolio_table` gives, typed and immutable (it still unpacks as a triple).

    Attributes
    ----------
    table : DataFrame or None
        One row per (model, scheme) and equal weight, scored on the same days; None where
        there is no universe to trade (one asset).
    backtests : dict of (model, scheme) to BacktestResult
    weights : dict of (model, scheme) to PortfolioWeights
    window : Window or None, the common days every row is scored on
    """

    table: pd.DataFrame | None
    backtests: dict[tuple[str, str], BacktestResult]
    weights: dict[tuple[str, str], PortfolioWeights]
    window: Window | None = None

    def scored(self) -> ScoredTable | None:
        """The table and the days it is scored on (None without a portfolio)."""
        return None if self.table is None else ScoredTable(self.table, self.window)

    def __iter__(self) -> Iterator[Any]:
        """``table, backtests, weights = portfolio_table(...)`` keeps working."""
        return iter((self.table, self.backtests, self.weights))


#: No universe, no portfolio.
NO_PORTFOLIO = PortfolioResult(None, {}, {})


def portfolio_table(
    frames: Mapping[str, pd.DataFrame],
    forecasts: Mapping[str, pd.DataFrame],
    spec: PortfolioSpec = DEFAULT_PORTFOLIO,
    strategy: StrategySpec = DEFAULT_SPEC,
    *,
    variance_of: Mapping[str, str] | None = None,
    se_reps: int = 1000,
) -> PortfolioResult:
    """Every scheme on every variance forecaster, and equal weight, on the same days.

    Parameters
    ----------
    frames : dict of symbol to feature frame (``close``, ``return``, and ``rv`` to calibrate)
    forecasts : dict of model to DataFrame (dates x symbols) of daily variance forecasts
    spec : PortfolioSpec
    strategy : StrategySpec
        Costs, slippage, calibration (``calibrate = "proxy"`` scales forecasts of
        the ``rv`` proxy to the returns' variance per asset) and smoothing.
    variance_of : dict of model to "target" | "returns" | "mixed", optional
        What each forecast measures; only "target" forecasts are calibrated.
    se_reps : int, bootstrap resamples of the Sharpe gap's standard error

    Returns
    -------
    (table, backtests, weights)
        ``table``: one row per (model, scheme) and ``("equal_weight", "-")``, columns
        :data:`PORTFOLIO_COLUMNS`; ``sharpe_vs_ew`` is the Sharpe ratio minus the
        equal-weight portfolio's on the same days, with its block-bootstrap
        standard error; ``max_risk_share`` the mean over days of the largest
        asset's ex-ante share of the variance (1/n is an even spread).
        ``window``: the common days.
    """
    if len(frames) < 2:
        raise ParameterError(f"portfolio_table: a portfolio needs at least two assets; got {len(frames)}.")
    if not forecasts:
        raise ParameterError("portfolio_table: no variance forecaster to build a portfolio from.")
    closes = _panel(frames, "close").dropna()
    built = _all_weights(frames, forecasts, closes.index, spec, strategy, dict(variance_of or {}))
    start, end = common_window({k: pw.weights.dropna(how="all") for k, pw in built.items()})
    # every portfolio in one vectorbt call, each with its own cash (the same as one backtest each)
    runs = backtests(
        closes,
        {f"{m}/{n}": pw.weights.loc[start:end] for (m, n), pw in built.items()},
        fees_bps=strategy.fees_bps,
        slippage_bps=strategy.slippage_bps,
        target_vols={f"{m}/{n}": spec.target_vol for m, n in built if n == "vol_target"},
        **strategy.financing(),
    )
    results = {(m, n): runs[f"{m}/{n}"] for m, n in built}
    gaps = dict(zip(results, sharpe_gaps(list(results.values()), se_reps), strict=True))
    rows = {key: _portfolio_row(results[key], pw, start, end, gaps[key]) for key, pw in built.items()}
    first = next(iter(results.values()))
    b = first.stats.loc["buy_and_hold"]
    rows[("equal_weight", "-")] = {
        "sharpe": b["sharpe"],
        "sharpe_vs_ew": 0.0,
        "sharpe_vs_ew_se": np.nan,
        "max_drawdown": b["max_drawdown"],
        "annual_return": b["annual_return"],
        "realised_vol": b["annual_vol"],
        "target_vol": None,
        "forecast_vol": np.nan,
        "mean_gross": 1.0,
        "max_risk_share": np.nan,
        "turnover_per_year": np.nan,
        "costs_per_year": 0.0,
        "financing_per_year": 0.0,
    }
    table = pd.DataFrame.from_dict(rows, orient="index")[list(PORTFOLIO_COLUMNS)]
    table.index = pd.MultiIndex.from_tuples(table.index, names=["model", "scheme"])
    return PortfolioResult(table, results, built, Window.of(first.returns.index))


def _all_weights(
    frames: Mapping[str, pd.DataFrame],
    forecasts: Mapping[str, pd.DataFrame],
    dates: pd.DatetimeIndex,
    spec: PortfolioSpec,
    strategy: StrategySpec,
    variance_of: Mapping[str, str],
) -> dict[tuple[str, str], PortfolioWeights]:
    """Every scheme's weights on every model's forecasts, put on the returns' scale per asset."""
    symbols = list(frames)
    returns = _panel(frames, "return").reindex(columns=symbols)
    kinds = [variance_of.get(m, "target") for m in forecasts]
    scales = {  # each asset's proxy scale once, for every model
        s: shared_scale(frames[s]["close"], frames[s]["rv"], calibrate=strategy.calibrate, kinds=kinds) for s in symbols
    }
    scaled = {}
    for model, fc in forecasts.items():
        fc = fc.reindex(columns=symbols).reindex(dates)
        kind = variance_of.get(model, "target")
        scaled[model] = pd.concat(
            {
                s: return_variance(
                    fc[s],
                    frames[s]["close"],
                    frames[s]["rv"],
                    calibrate=strategy.calibrate,
                    variance_of=kind,
                    scale=scales.get(s),
                )
                for s in symbols
            },
            axis=1,
        ).reindex(columns=symbols)
    built = weights_of_schemes(scaled, returns, spec.schemes, spec, smooth=strategy.smooth)
    return {(m, sch): built[(m, sch)] for m in forecasts for sch in spec.schemes}


def _portfolio_row(
    res: BacktestResult, pw: PortfolioWeights, start: Any, end: Any, gap: tuple[float, float]
) -> dict[str, Any]:
    """One portfolio's row of the table: its Sharpe gap to equal weight (``gap``: the gap and its
    standard error, :func:`strategies.evaluate.sharpe_gaps`), risk and costs.
    """
    diff, se = gap
    s = res.stats.iloc[0]
    return {
        "sharpe": s["sharpe"],
        "sharpe_vs_ew": diff,
        "sharpe_vs_ew_se": se,
        "max_drawdown": s["max_drawdown"],
        "annual_return": s["annual_return"],
        "realised_vol": s["annual_vol"],
        "target_vol": res.target_vol,
        "forecast_vol": float(pw.forecast_vol.loc[start:end].mean()),
        "mean_gross": float(res.weights.abs().sum(axis=1).mean()),
        "max_risk_share": float(pw.risk_shares.loc[start:end].max(axis=1).mean()),
        "turnover_per_year": s["turnover_per_year"],
        "costs_per_year": s["costs_per_year"],
        "financing_per_year": s["financing_per_year"],
    }
