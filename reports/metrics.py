r"""The leaderboards: every forecaster scored against its realised target and its baselines.

The statistics come from :mod:`core.evaluation` (point accuracy, losses, the
Diebold-Mariano test, the model confidence set, SPA); this module builds each
forecast kind's target on the forecast dates and assembles the tables
(:func:`leaderboard` and the per-kind tables), the run's strongest baselines and
the regime split. Those statistics are importable from here too, as before.

:func:`price_metrics` scores a price forecast twice: on price levels and on
the returns it implies. Price levels flatter any model: tomorrow's close is
mostly today's, so even "no change" scores an :math:`R^2` near 1. The table
puts that persistence benchmark beside the model, and the return rows show
what the model really knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.evaluation.accuracy import mincer_zarnowitz, pesaran_timmermann, point_metrics
from core.evaluation.comparison import (
    diebold_mariano,
    mcs_pvalues,
    model_confidence_set,
    newey_west_variance,
    spa_pvalues,
)
from core.evaluation.losses import Loss
from signals.base import implied_return, last_close, origins_for, realized_target

__all__ = [
    "ECONOMETRIC_COST",
    "absolute_return_table",
    "diebold_mariano",
    "forecast_groups",
    "forecast_table",
    "group_label",
    "historical_mean_forecast",
    "is_econometric",
    "leaderboard",
    "mcs_pvalues",
    "mincer_zarnowitz",
    "model_confidence_set",
    "newey_west_variance",
    "per_date_losses",
    "pesaran_timmermann",
    "point_metrics",
    "price_metrics",
    "price_table",
    "regimes",
    "return_table",
    "spa_pvalues",
    "split_table",
    "strongest_baselines",
]


def price_metrics(price_forecast: pd.Series, frame: pd.DataFrame, horizon: int = 1) -> pd.DataFrame:
    """Price-level and return metrics of a price forecast, beside the persistence benchmark.

    Parameters
    ----------
    price_forecast : Series
        Forecast closes labelled by the first date forecast (as from a
        forecaster with ``target="price"``).
    frame : DataFrame, feature frame with ``close`` and ``return``
    horizon : int, default 1

    Returns
    -------
    DataFrame indexed by (``level``, ``model``): ``level`` is "price" or "return",
    ``model`` is the forecast's name or "persistence" (no change).
    """
    index = price_forecast.index
    prev_close = last_close(frame, index)
    price = realized_target(frame, "price", horizon).reindex(index)
    ret = realized_target(frame, "return", horizon).reindex(index)
    implied = implied_return(frame, price_forecast)
    name = price_forecast.name or "model"
    rows = {
        ("price", name): point_metrics(price, price_forecast),
        ("price", "persistence"): point_metrics(price, prev_close),
        ("return", name): point_metrics(ret, implied),
        ("return", "persistence"): point_metrics(ret, np.zeros(len(ret))),
    }
    # A price is always positive, so the sign of a level says nothing: the
    # direction of a price forecast is that of its change from the last close
    # (the implied return's); "no change" calls no direction.
    rows[("price", name)]["direction"] = rows[("return", name)]["direction"]
    rows[("price", "persistence")]["direction"] = np.nan
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["level", "model"])
    return out


# --------------------------------------------------------------------------- forecast evaluation


def _variance_losses(y: np.ndarray, f: np.ndarray) -> dict[str, float]:
    from core.evaluation.losses import log_mse, mse, qlike

    pos = (y > 0) & (f > 0)
    return {
        "qlike": qlike(y[pos], f[pos]) if pos.any() else np.nan,
        "mse": mse(y, f),
        "logmse": log_mse(y[pos], f[pos]) if pos.any() else np.nan,
    }


def per_date_losses(forecasts: pd.DataFrame, realized: pd.Series, *, target: str = "variance") -> pd.DataFrame:
    """The main loss per date and model: QLIKE for variance, squared error for returns.

    NaN where the forecast or the realised value is missing, and for QLIKE where
    either is not positive (it has no value there).
    """
    from core.evaluation.losses import loss as loss_fn
    from core.evaluation.losses import scoring_mask

    main: Loss = "qlike" if target == "variance" else "mse"
    y = realized.reindex(forecasts.index).to_numpy(float)
    out = {}
    for m in forecasts.columns:
        f = forecasts[m].to_numpy(float)
        ok = scoring_mask(y, f, main)
        series = np.full(len(f), np.nan)
        series[ok] = loss_fn(main, y[ok], f[ok], reduce=False)
        out[m] = series
    return pd.DataFrame(out, index=forecasts.index)


def forecast_table(
    forecasts: pd.DataFrame,
    realized: pd.Series,
    *,
    target: str = "variance",
    baseline: str | None = None,
    mcs_size: float = 0.10,
    mcs_reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """The leaderboard: one row per model.

    Variance targets get QLIKE, MSE, log-MSE and ``level`` (the mean forecast over
    the mean realised variance); both targets get MAE, RMSE, R²,
    direction accuracy (for variance: did the forecast call the move of realised
    variance from the day before), Mincer–Zarnowitz, a Diebold–Mariano test
    against ``baseline`` (on QLIKE for variance, squared error for returns) and the
    model confidence set p-value on the same loss.

    Parameters
    ----------
    forecasts : DataFrame, one column per model, labelled by target date
    realized : Series, the realised target on those dates
    target : {"variance", "return"}
    baseline : str, optional, a column of ``forecasts``
    """
    y_all = realized.reindex(forecasts.index)
    prev = realized.shift(1).reindex(forecasts.index) if target == "variance" else pd.Series(0.0, index=forecasts.index)

    main: Loss = "qlike" if target == "variance" else "mse"
    y, ref = y_all.to_numpy(float), prev.to_numpy(float)
    rows = {m: _forecast_row(y, forecasts[m].to_numpy(float), ref, target, main) for m in forecasts.columns}
    table = pd.DataFrame.from_dict(rows, orient="index")
    losses = per_date_losses(forecasts, realized, target=target)
    if baseline is not None:
        if baseline not in forecasts.columns:
            raise ValueError(
                f"forecast_table: baseline={baseline!r} is not among the models ({', '.join(forecasts.columns)})."
            )
        dm = {
            m: diebold_mariano(losses[m], losses[baseline])
            if m != baseline
            else {"dm_stat": np.nan, "dm_pvalue": np.nan}
            for m in forecasts.columns
        }
        table = table.join(pd.DataFrame.from_dict(dm, orient="index"))
        table[f"{main}_vs_{baseline}"] = table[main] / table.loc[baseline, main]
    table = table.join(model_confidence_set(losses, size=mcs_size, reps=mcs_reps, seed=seed))
    table["in_mcs"] = table["mcs_pvalue"] >= mcs_size
    both = losses.dropna()
    table["spa_pvalue"] = pd.Series(spa_pvalues(both.to_numpy(), reps=mcs_reps, seed=seed), index=both.columns)
    return table.sort_values(main)


def _forecast_row(y: np.ndarray, f: np.ndarray, prev: np.ndarray, target: str, main: Loss) -> dict[str, float]:
    """One model's scores on the dates its loss is defined: losses, level, point metrics,
    direction of the move from ``prev`` (the day before's realised value, or 0) and
    Mincer-Zarnowitz.
    """
    from core.evaluation.losses import scoring_mask

    ok = scoring_mask(y, f, main)
    row: dict[str, float] = {"n": int(ok.sum())}
    if target == "variance":
        row.update(_variance_losses(y[ok], f[ok]))
        # the mean forecast over the mean realised variance: far from 1, the model's level is off
        row["level"] = float(f[ok].mean() / y[ok].mean()) if ok.any() else np.nan
    else:
        row["mse"] = float(np.mean((y[ok] - f[ok]) ** 2)) if ok.any() else np.nan
    pm = point_metrics(y[ok], f[ok])
    row.update({k: pm[k] for k in ("mae", "rmse", "r2")})
    ref = prev[ok]
    moves = np.isfinite(ref) & (y[ok] != ref) & (f[ok] != ref)
    row["direction"] = (
        float((np.sign(f[ok] - ref)[moves] == np.sign(y[ok] - ref)[moves]).mean()) if moves.any() else np.nan
    )
    row.update(mincer_zarnowitz(y[ok], f[ok]))
    return row


def historical_mean_forecast(
    frame: pd.DataFrame, index: pd.DatetimeIndex, horizon: int = 1, *, absolute: bool = False
) -> pd.Series:
    """The expanding historical mean of ``return`` up to each date's origin, times
    ``horizon``: the Campbell-Thompson benchmark for each date of ``index`` (with
    ``absolute``, the mean absolute ``horizon``-day return known at the origin).
    """
    from signals.naive import historical_mean

    means = historical_mean(frame["return"].to_numpy(dtype=float), horizon, absolute=absolute)[
        origins_for(frame.index, index)
    ]
    return pd.Series(means, index=index, name="historical_mean")


def _squared_error_block(
    forecasts: pd.DataFrame, y: pd.Series, benchmark: pd.Series, name: str, mcs_size: float, mcs_reps: int, seed: int
) -> pd.DataFrame:
    """DM against ``benchmark`` and the MCS, both on squared errors over the rows every column shares."""
    losses = (forecasts.sub(y, axis=0)) ** 2
    bench = (benchmark - y) ** 2
    dm = {m: diebold_mariano(losses[m], bench) for m in forecasts.columns}
    out = pd.DataFrame.from_dict(dm, orient="index").rename(
        columns={"dm_stat": f"dm_stat_vs_{name}", "dm_pvalue": f"dm_pvalue_vs_{name}"}
    )
    out = out.join(model_confidence_set(losses, size=mcs_size, reps=mcs_reps, seed=seed))
    out["in_mcs"] = out["mcs_pvalue"] >= mcs_size
    return out


def return_table(
    forecasts: pd.DataFrame,
    frame: pd.DataFrame,
    horizon: int = 1,
    *,
    mcs_size: float = 0.10,
    mcs_reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    r"""The return leaderboard: one row per model of ``horizon``-day log-return forecasts.

    Columns: ``n``, ``mse``, ``mae``; ``r2_vs_zero`` and ``r2_vs_mean``, the
    out-of-sample :math:`R^2 = 1 - \sum(y - f)^2 / \sum(y - b)^2` against the
    zero forecast and against the expanding historical mean (Campbell and
    Thompson, 2008): positive only where the model beats the benchmark;
    ``direction`` with the Pesaran-Timmermann ``pt_stat`` and one-sided
    ``pt_pvalue``; ``always_long``, the share of up moves on the days
    ``direction`` scores (the hit rate of a forecast that is always positive; for
    the zero forecast, which calls no sign, on every day with a move); the Diebold-Mariano test
    against the zero forecast on squared errors (``dm_stat_vs_zero``,
    ``dm_pvalue_vs_zero``, negative = lower loss); the model confidence set.
    Every statistic uses the rows where every model and the realised return
    are known, so the rows compare like with like. Sorted by MSE.
    """
    y_all = realized_target(frame, "return", horizon).reindex(forecasts.index)
    rows = pd.concat([forecasts.astype(float), y_all.rename("__y")], axis=1).dropna()
    f, y = rows.drop(columns="__y"), rows["__y"]
    mean = historical_mean_forecast(frame, rows.index, horizon)
    sse_zero, sse_mean = float((y**2).sum()), float(((y - mean) ** 2).sum())
    out = {}
    for m in f.columns:
        err = y - f[m]
        sse = float((err**2).sum())
        row = {
            "n": len(y),
            "mse": sse / len(y) if len(y) else np.nan,
            "mae": float(err.abs().mean()),
            "r2_vs_zero": 1 - sse / sse_zero if sse_zero > 0 else np.nan,
            "r2_vs_mean": 1 - sse / sse_mean if sse_mean > 0 else np.nan,
        }
        row.update(pesaran_timmermann(y, f[m]))
        called = (y != 0) & (f[m] != 0)  # the days direction scores: always-long's hit rate on exactly those
        row["always_long"] = (
            float((y[called] > 0).mean())
            if called.any()
            else float((y[y != 0] > 0).mean())
            if (y != 0).any()
            else np.nan
        )
        out[m] = row
    table = pd.DataFrame.from_dict(out, orient="index")
    table = table.join(_squared_error_block(f, y, pd.Series(0.0, index=y.index), "zero", mcs_size, mcs_reps, seed))
    return table.sort_values("mse")


def absolute_return_table(
    forecasts: pd.DataFrame,
    frame: pd.DataFrame,
    horizon: int = 1,
    *,
    mcs_size: float = 0.10,
    mcs_reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    r"""The leaderboard of absolute-return forecasts (:math:`|r_{s+1:s+h}|`, a
    volatility measure in return units).

    Columns: ``n``, ``mse``, ``mae``; ``r2_vs_mean``, the out-of-sample
    :math:`R^2` against the expanding historical mean absolute return (positive
    only where the model beats it); Mincer-Zarnowitz ``mz_slope``;
    Diebold-Mariano against the historical mean on squared errors
    (``dm_stat_vs_mean``, ``dm_pvalue_vs_mean``); the model confidence set.
    Sorted by MSE, on the rows every model shares.
    """
    y_all = realized_target(frame, "absolute_return", horizon).reindex(forecasts.index)
    rows = pd.concat([forecasts.astype(float), y_all.rename("__y")], axis=1).dropna()
    f, y = rows.drop(columns="__y"), rows["__y"]
    mean = historical_mean_forecast(frame, rows.index, horizon, absolute=True)
    sse_mean = float(((y - mean) ** 2).sum())
    out = {}
    for m in f.columns:
        err = y - f[m]
        sse = float((err**2).sum())
        out[m] = {
            "n": len(y),
            "mse": sse / len(y) if len(y) else np.nan,
            "mae": float(err.abs().mean()),
            "r2_vs_mean": 1 - sse / sse_mean if sse_mean > 0 else np.nan,
            "mz_slope": mincer_zarnowitz(y, f[m])["mz_slope"],
        }
    table = pd.DataFrame.from_dict(out, orient="index")
    table = table.join(_squared_error_block(f, y, mean, "mean", mcs_size, mcs_reps, seed))
    return table.sort_values("mse")


def price_table(
    forecasts: pd.DataFrame,
    frame: pd.DataFrame,
    horizon: int = 1,
    *,
    mcs_size: float = 0.10,
    mcs_reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    r"""The price leaderboard: one row per model of closes forecast ``horizon`` days ahead.

    Columns: ``n``, ``rmse``, ``mae``, ``mape`` (percent), ``r2`` on price
    levels; ``rw_rmse``, the random walk's (tomorrow's close = the last close)
    RMSE on the same rows, and ``skill_vs_rw`` :math:`= 1 - MSE / MSE_{rw}`:
    positive only where the model beats it; ``direction``, the share of days on
    which the forecast's change from the last close has the sign of the real
    change (a price level is always positive: its sign says nothing), and
    ``always_up``, the share of real moves that were up: the direction score of
    always forecasting a rise, which a model must beat;
    Diebold-Mariano against the random walk on squared errors; the model
    confidence set. A price-level :math:`R^2` near 1 is what the random walk
    also scores: judge a price model by ``skill_vs_rw``. Sorted by MSE.
    """
    y_all = realized_target(frame, "price", horizon).reindex(forecasts.index)
    rows = pd.concat([forecasts.astype(float), y_all.rename("__y")], axis=1).dropna()
    f, y = rows.drop(columns="__y"), rows["__y"]
    last = last_close(frame, rows.index)
    rw_mse = float(((y - last) ** 2).mean()) if len(y) else np.nan
    out = {}
    for m in f.columns:
        err = y - f[m]
        mse_m = float((err**2).mean()) if len(y) else np.nan
        sst = float(((y - y.mean()) ** 2).sum())
        out[m] = {
            "n": len(y),
            "mse": mse_m,
            "rmse": float(np.sqrt(mse_m)),
            "mae": float(err.abs().mean()),
            "mape": float(100 * (err.abs() / y.abs()).mean()),
            "r2": 1 - float((err**2).sum()) / sst if sst > 0 else np.nan,
            "rw_rmse": float(np.sqrt(rw_mse)),
            "skill_vs_rw": 1 - mse_m / rw_mse if rw_mse > 0 else np.nan,
            "direction": pesaran_timmermann(y - last, f[m] - last)["direction"],
        }
    moved = (y - last) != 0
    # the share of moves that were up: what always forecasting a rise scores on direction
    always_up = float(((y - last)[moved] > 0).mean()) if moved.any() else np.nan
    table = pd.DataFrame.from_dict(out, orient="index")
    table["always_up"] = always_up
    table = table.join(_squared_error_block(f, y, last, "rw", mcs_size, mcs_reps, seed))
    return table.sort_values("mse")


_KIND_ORDER = {"variance": 0, "absolute_return": 1, "return": 2, "price": 3}


def forecast_groups(models: Mapping[str, Any]) -> dict[tuple[str, int], list[str]]:
    """Model names by (target kind, horizon): the only sets of models whose losses
    can be compared, since each is scored against its own target.

    Variance groups come first, by horizon, then return and price groups.
    """
    groups: dict[tuple[str, int], list[str]] = {}
    for name, m in models.items():
        groups.setdefault((str(m.target), int(m.horizon)), []).append(name)
    return dict(sorted(groups.items(), key=lambda kv: (_KIND_ORDER.get(kv[0][0], 9), kv[0][1])))


def group_label(kind: str, horizon: int) -> str:
    """``"variance, 1 day"``, ``"return, 5 days"``: a leaderboard group's heading."""
    return f"{kind}, {horizon} day{'s' if horizon != 1 else ''}"


#: ``relative_cost`` below this is a cheap, econometric model (HAR, HAR-X, GARCH, EWMA, ...); networks cost 1000.
ECONOMETRIC_COST = 100.0


def is_econometric(model: Any) -> bool:
    """A forecaster that is not a network and combines none (HAR, HAR-X, GARCH, EWMA, rolling variance)."""
    return getattr(model, "relative_cost", ECONOMETRIC_COST) < ECONOMETRIC_COST and not hasattr(model, "members")


def strongest_baselines(
    forecasts: Mapping[str, pd.DataFrame], frames: Mapping[str, pd.DataFrame], models: Mapping[str, Any]
) -> dict[int, str]:
    """The strongest econometric model of a run for each variance horizon: the baseline
    every network, hybrid and combination is tested against.

    Among the variance models with :func:`is_econometric`, the one with the best mean
    rank by mean QLIKE across the symbols (each symbol scored on the dates all of the
    horizon's models forecast), ties broken by the mean QLIKE ratio to each symbol's
    best. It is chosen on the out-of-sample losses themselves: a choice after the fact
    can only make the baseline stronger, never a network's win easier to claim.

    Parameters
    ----------
    forecasts : dict of symbol to its forecasts by date (one column per model)
    frames : dict of symbol to its feature frame
    models : dict of name to forecaster (read: ``target``, ``horizon``, ``relative_cost``)

    Returns
    -------
    dict of horizon to model name; a horizon without an econometric model is left out.
    """
    out = {}
    for (kind, h), names in forecast_groups(models).items():
        cheap = [n for n in names if is_econometric(models[n])]
        if kind != "variance" or not cheap:
            continue
        ranks, ratios = [], []
        for sym, fc in forecasts.items():
            present = [n for n in names if n in fc.columns]
            losses = per_date_losses(fc[present].astype(float), realized_target(frames[sym], "variance", h))
            mean = losses.dropna().mean()[[n for n in cheap if n in present]]
            if mean.notna().any():
                ranks.append(mean.rank())
                ratios.append(mean / mean.min())
        if ranks:
            score = pd.DataFrame(
                {"rank": pd.concat(ranks, axis=1).mean(axis=1), "ratio": pd.concat(ratios, axis=1).mean(axis=1)}
            )
            out[h] = str(score.sort_values(["rank", "ratio"]).index[0])
    return out


def leaderboard(
    forecasts: pd.DataFrame,
    frame: pd.DataFrame,
    models: Mapping[str, Any],
    *,
    baseline: str | Mapping[int, str] = "loghar",
    mcs_size: float = 0.10,
    mcs_reps: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`forecast_table` per (target kind, horizon) group, stacked.

    Each model is scored against its own target: a 5-day variance model against
    the mean realised variance of the next five days, never the next day's.
    Diebold-Mariano tests and the model confidence set run within a group only.
    Variance groups: :func:`forecast_table`, and only a group that holds the
    baseline gets the ratio to it and the DM column. Return groups:
    :func:`return_table` (against the zero forecast and the historical mean).
    Price groups: :func:`price_table` (against the random walk).

    Parameters
    ----------
    forecasts : DataFrame, one column per model (other columns, such as ``fold``, are ignored)
    frame : DataFrame, the feature frame the models were fitted on
    models : dict of name to forecaster (read: ``target`` and ``horizon``)
    baseline : str or dict of horizon to str, default "loghar"
        The model each variance group is tested against, or one per horizon
        (:func:`strongest_baselines` gives them); return groups are tested
        against the zero forecast, price groups against the random walk.

    Returns
    -------
    DataFrame indexed by model: ``target`` and ``horizon`` first, then the
    columns of :func:`forecast_table`; groups in :func:`forecast_groups` order,
    each sorted by its main loss (QLIKE for variance, MSE otherwise).
    """
    parts = []
    for (kind, h), names in forecast_groups({m: models[m] for m in models if m in forecasts.columns}).items():
        fc = forecasts[names].astype(float)
        keys: dict[str, Any] = {"mcs_size": mcs_size, "mcs_reps": mcs_reps, "seed": seed}
        if kind == "variance":
            wanted = baseline.get(h) if isinstance(baseline, Mapping) else baseline
            base = wanted if wanted in names else None
            table = forecast_table(fc, realized_target(frame, "variance", h), target="variance", baseline=base, **keys)
        elif kind == "return":
            table = return_table(fc, frame, h, **keys)
        elif kind == "absolute_return":
            table = absolute_return_table(fc, frame, h, **keys)
        else:
            table = price_table(fc, frame, h, **keys)
        table.insert(0, "horizon", h)
        table.insert(0, "target", kind)
        parts.append(table)
    if not parts:
        raise ValueError("leaderboard: none of the models has a column in forecasts.")
    return pd.concat(parts)


def split_table(
    forecasts: pd.DataFrame, realized: pd.Series, groups: pd.Series, *, target: str = "variance"
) -> pd.DataFrame:
    """The main loss (QLIKE for variance, MSE for returns) per model within each group
    (a regime label or a fold id per date); columns are models, rows groups, plus ``n``.
    """
    losses = per_date_losses(forecasts, realized, target=target)
    g = groups.reindex(forecasts.index)
    out = {}
    for label in pd.unique(g.dropna()):
        sel = (g == label).to_numpy()
        out[label] = {**losses[sel].mean().to_dict(), "n": int(sel.sum())}
    return pd.DataFrame.from_dict(out, orient="index")


def regimes(
    index: pd.DatetimeIndex, *, vix: pd.Series | None = None, rv: pd.Series | None = None, vix_level: float = 20.0
) -> pd.Series:
    """Calm or crisis per date, by one rule over the whole sample.

    With VIX known on every date (its close the day before, as known when
    forecasting): crisis when above ``vix_level``. Otherwise, whatever part of
    the sample VIX covers, the rule is ``rv``'s for every date: crisis when the
    trailing 22-day mean realised variance up to the day before is above its
    expanding median. Mixing the two (VIX where known, the variance rule
    elsewhere) would split the sample by two definitions of a crisis.
    ``label.attrs["rule"]`` says which rule was used. Dates that no rule labels
    are left out (NaN).
    """
    label = pd.Series(np.nan, index=index, dtype=object)
    v = vix.shift(1).reindex(index) if vix is not None else None
    if v is not None and (rv is None or v.notna().all()):
        label[v.notna()] = np.where(v[v.notna()] > vix_level, "crisis", "calm")
        rule = f"VIX above {vix_level:g} (the close before each day)"
    elif rv is not None:
        m = rv.rolling(22).mean().shift(1)
        med = m.expanding().median()
        known = m.notna() & med.notna()
        label = pd.Series(np.where(m > med, "crisis", "calm"), index=rv.index).where(known).reindex(index)
        rule = "trailing 22-day realised variance above its median to date (the day before)"
        if v is not None:
            rule += f"; VIX covers {100 * float(v.notna().mean()):.0f} % of the days, too few for one VIX rule"
    else:
        rule = "none"
    label = label.rename("regime")
    label.attrs["rule"] = rule
    return label
