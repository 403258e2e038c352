r"""Backtests of Value-at-Risk and expected-shortfall forecasts.

A violation is a day whose log return falls below minus its VaR,
:math:`I_t = 1\{r_t < -\mathrm{VaR}_t\}`. At level :math:`\alpha`:

* **Kupiec** (1995), unconditional coverage: :math:`x` violations in :math:`n`
  days against :math:`\alpha`,
  :math:`LR_{uc} = -2[\ell(\alpha) - \ell(\hat\pi)]`,
  :math:`\ell(p) = (n - x)\log(1 - p) + x \log p`, :math:`\hat\pi = x/n`, :math:`\chi^2_1`.
* **Christoffersen** (1998), independence: a violation today does not make one
  tomorrow likelier; the first-order Markov chain of :math:`I_t` against
  independence, :math:`\chi^2_1`; conditional coverage
  :math:`LR_{cc} = LR_{uc} + LR_{ind}`, :math:`\chi^2_2`.
* **McNeil and Frey** (2000), expected shortfall: on violation days the
  exceedance residuals :math:`e_t = (-r_t - \mathrm{ES}_t)/\hat\sigma_t` have mean
  zero when the ES is right; one-sided (the ES too small), p-value by the
  bootstrap of the centred residuals, seeded.
* **Tick loss** (quantile loss) of the VaR as the :math:`\alpha` quantile,
  :math:`\rho_\alpha(u) = (\alpha - 1\{u < 0\})\,u`, :math:`u = r_t + \mathrm{VaR}_t`:
  a proper score for a quantile, so models can be ranked and compared with
  Diebold–Mariano tests on the same days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import chdtrc, xlogy

from core.errors import ParameterError
from core.tables import ScoredTable, TableSchema, Window
from reports.metrics import diebold_mariano
from signals.tail_risk import TailMethod
from strategies.calibration import Calibrate

__all__ = [
    "RISK_TABLE",
    "christoffersen",
    "kupiec",
    "mcneil_frey",
    "risk_table",
    "tail_table",
    "tick_loss",
    "violation_summary",
]

#: The columns of :func:`tail_table` (``tick_vs_<baseline>`` where there is one), those shown at once.
RISK_TABLE = TableSchema(
    columns=(
        "n",
        "violations",
        "rate",
        "kupiec_p",
        "independence_p",
        "cc_p",
        "es_mean",
        "es_p",
        "tick_loss",
        "tick_vs_*",
        "dm_p",
    ),
    main=("n", "violations", "rate", "kupiec_p", "cc_p", "es_p", "tick_loss", "tick_vs_*"),
)


def _hits(hits) -> np.ndarray:
    h = np.asarray(hits)
    if h.ndim != 1 or not np.isin(h, (0, 1)).all():
        raise ParameterError("tail backtests: hits must be a 1-D sequence of 0/1 (or booleans).")
    return h.astype(int)


def _chi2_sf(x: float, df: int) -> float:
    """``scipy.stats.chi2.sf(x, df)`` (its own kernel, the same bits) without the argument
    handling around it, which cost more than the tests themselves.
    """
    return float(chdtrc(df, x))


def kupiec(hits, alpha: float) -> dict[str, float]:
    """Kupiec's unconditional coverage test: ``n``, ``violations``, ``rate``, ``lr``, ``pvalue``."""
    h = _hits(hits)
    n, x = len(h), int(h.sum())
    if n == 0:
        return {"n": 0, "violations": 0, "rate": np.nan, "lr": np.nan, "pvalue": np.nan}
    pi = x / n
    ll_null = xlogy(n - x, 1 - alpha) + xlogy(x, alpha)
    ll_alt = xlogy(n - x, 1 - pi) + xlogy(x, pi)
    lr = max(-2.0 * (ll_null - ll_alt), 0.0)
    return {"n": n, "violations": x, "rate": pi, "lr": lr, "pvalue": _chi2_sf(lr, 1)}


def christoffersen(hits, alpha: float) -> dict[str, float]:
    """Christoffersen's independence and conditional-coverage tests:
    ``lr_ind``, ``p_ind``, ``lr_cc``, ``p_cc`` (NaN where no transition out of a
    violation or out of a quiet day was seen).
    """
    h = _hits(hits)
    prev, cur = h[:-1], h[1:]
    n00 = int(((prev == 0) & (cur == 0)).sum())
    n01 = int(((prev == 0) & (cur == 1)).sum())
    n10 = int(((prev == 1) & (cur == 0)).sum())
    n11 = int(((prev == 1) & (cur == 1)).sum())
    nan = {"lr_ind": np.nan, "p_ind": np.nan, "lr_cc": np.nan, "p_cc": np.nan}
    if n00 + n01 == 0 or n10 + n11 == 0:
        return nan
    p01, p11 = n01 / (n00 + n01), n11 / (n10 + n11)
    p = (n01 + n11) / (n00 + n01 + n10 + n11)
    ll_ind = xlogy(n00 + n10, 1 - p) + xlogy(n01 + n11, p)
    ll_markov = xlogy(n00, 1 - p01) + xlogy(n01, p01) + xlogy(n10, 1 - p11) + xlogy(n11, p11)
    lr_ind = max(-2.0 * (ll_ind - ll_markov), 0.0)
    lr_cc = kupiec(h[1:], alpha)["lr"] + lr_ind  # on the n - 1 days with a predecessor
    return {
        "lr_ind": lr_ind,
        "p_ind": _chi2_sf(lr_ind, 1),
        "lr_cc": lr_cc,
        "p_cc": _chi2_sf(lr_cc, 2),
    }


def mcneil_frey(returns, var, es, sigma, *, reps: int = 2000, seed: int = 0) -> dict[str, float]:
    """McNeil and Frey's bootstrap test of expected shortfall.

    Parameters
    ----------
    returns, var, es, sigma : array-like, same length
        Log returns, VaR and ES (positive) and the forecast volatility of each day.
    reps : int, default 2000
    seed : int, default 0

    Returns
    -------
    dict with ``exceedances`` (violation days), ``mean`` (the mean exceedance
    residual; positive: losses beyond the VaR exceed the ES forecast) and
    ``pvalue`` (one-sided, H1: mean > 0; NaN with fewer than 2 violations).
    """
    r, v, e, s = (np.asarray(a, dtype=float) for a in (returns, var, es, sigma))
    hit = r < -v
    resid = (-r[hit] - e[hit]) / s[hit]
    k = len(resid)
    if k < 2:
        return {"exceedances": k, "mean": float(resid.mean()) if k else np.nan, "pvalue": np.nan}
    mean = float(resid.mean())
    sd = resid.std(ddof=1)
    t_obs = mean / (sd / np.sqrt(k)) if sd > 0 else np.inf * np.sign(mean)
    centred = resid - mean
    draws = np.random.default_rng(seed).integers(0, k, size=(reps, k))
    boot = centred[draws]
    boot_sd = boot.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_boot = boot.mean(axis=1) / (boot_sd / np.sqrt(k))
    t_boot = t_boot[np.isfinite(t_boot)]
    pvalue = float((1 + (t_boot >= t_obs).sum()) / (1 + len(t_boot)))
    return {"exceedances": k, "mean": mean, "pvalue": pvalue}


def tick_loss(returns, var, alpha: float) -> np.ndarray:
    """Quantile (tick) loss of ``-var`` as the ``alpha`` quantile of ``returns``, per day."""
    u = np.asarray(returns, dtype=float) + np.asarray(var, dtype=float)
    return (alpha - (u < 0)) * u


def tail_table(
    returns: pd.Series,
    tails: Mapping[str, pd.DataFrame],
    variances: Mapping[str, pd.Series],
    *,
    baseline: str | None = None,
    reps: int = 2000,
    seed: int = 0,
) -> ScoredTable:
    """Every model's VaR and ES backtests, on the days every model and method has a forecast.

    Parameters
    ----------
    returns : Series, daily log returns, dated by the day earned
    tails : dict of model to DataFrame
        :func:`signals.tail_risk.tail_forecasts` of each model.
    variances : dict of model to Series
        The return-variance forecasts the tails were made from (for the McNeil–Frey residuals).
    baseline : str, optional
        The model whose tick loss the others are compared with (ratio and a
        Diebold–Mariano p-value on the same days); none by default.

    Returns
    -------
    ScoredTable
        ``table`` indexed by (model, method, level) with ``n``, ``violations``,
        ``rate``, ``kupiec_p``, ``independence_p``, ``cc_p``, ``es_mean``, ``es_p``,
        ``tick_loss`` and, with a baseline, ``tick_vs_<baseline>`` and ``dm_p``
        (two-sided); ``window``: the days (None where there is none).
    """
    if not tails:
        return ScoredTable(pd.DataFrame(), None)
    if baseline is not None and baseline not in tails:
        raise ParameterError(f"tail_table: baseline {baseline!r} is not one of the models {list(tails)}.")
    frames = {m: t.reindex(returns.index) for m, t in tails.items()}
    ok = returns.notna()
    for t in frames.values():
        ok &= t.notna().all(axis=1)
    days = returns.index[ok.to_numpy()]
    r = returns.loc[days].to_numpy()
    rows = {}
    losses: dict[tuple[str, str, float], np.ndarray] = {}
    for model, t in frames.items():
        sigma = np.sqrt(variances[model].reindex(days).to_numpy(dtype=float))
        values = t.to_numpy()[ok.to_numpy()]  # the scored days' rows, once
        for method, level in dict.fromkeys((m, float(a)) for m, a, _ in t.columns):
            var = values[:, t.columns.get_loc((method, level, "var"))]
            es = values[:, t.columns.get_loc((method, level, "es"))]
            losses[(model, method, level)] = tick_loss(r, var, level)
            rows[(model, method, level)] = _backtest_row(
                r, var, es, sigma, level, losses[(model, method, level)], reps=reps, seed=seed
            )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["model", "method", "level"])
    if baseline is not None and len(days) > 1:
        table[f"tick_vs_{baseline}"], table["dm_p"] = _against(losses, baseline)
    return ScoredTable(table, Window.of(days))


def _against(losses: Mapping[tuple[str, str, float], np.ndarray], baseline: str) -> tuple[pd.Series, pd.Series]:
    """Per (model, method, level): the mean tick loss over ``baseline``'s with the same method and
    level, and the Diebold-Mariano p-value of the two (NaN for the baseline itself).
    """
    ratio, dm = {}, {}
    for (model, method, level), loss in losses.items():
        base = losses[(baseline, method, level)]
        ratio[(model, method, level)] = loss.mean() / base.mean() if base.mean() > 0 else np.nan
        dm[(model, method, level)] = np.nan if model == baseline else diebold_mariano(loss, base)["dm_pvalue"]
    return pd.Series(ratio), pd.Series(dm)


def _backtest_row(
    r: np.ndarray,
    var: np.ndarray,
    es: np.ndarray,
    sigma: np.ndarray,
    level: float,
    loss: np.ndarray,
    *,
    reps: int,
    seed: int,
) -> dict[str, float]:
    """One (model, method, level)'s coverage tests, ES test and mean tick loss (``loss``) on returns ``r``."""
    hits = (r < -var).astype(int)
    uc, ind = kupiec(hits, level), christoffersen(hits, level)
    mf = mcneil_frey(r, var, es, sigma, reps=reps, seed=seed)
    return {
        "n": uc["n"],
        "violations": uc["violations"],
        "rate": uc["rate"],
        "kupiec_p": uc["pvalue"],
        "independence_p": ind["p_ind"],
        "cc_p": ind["p_cc"],
        "es_mean": mf["mean"],
        "es_p": mf["pvalue"],
        "tick_loss": float(loss.mean()) if len(r) else np.nan,
    }


def risk_table(
    close: pd.Series,
    forecasts: pd.DataFrame,
    *,
    proxy: pd.Series | None = None,
    variance_of: Mapping[str, str] | None = None,
    calibrate: Calibrate = "proxy",
    levels: Sequence[float] = (0.01, 0.05),
    methods: Sequence[TailMethod] = ("normal", "t", "fhs"),
    min_history: int = 250,
    baseline: str | None = None,
    seed: int = 0,
) -> tuple[ScoredTable, dict[str, pd.DataFrame]]:
    """VaR and ES of every one-day variance forecast of one asset, and their backtests.

    The forecasts are put on the scale of the close-to-close returns first, as the
    strategies do (:func:`strategies.calibration.calibrated` where ``calibrate`` is
    ``"proxy"`` and the model forecasts the realised-variance proxy), then
    :func:`signals.tail_risk.tail_forecasts` and :func:`tail_table` on the days
    every model and method has a forecast.

    Returns
    -------
    (scored, tails): :func:`tail_table`'s table with its days, and each model's tail forecasts.
    """
    from signals.features import log_returns
    from signals.tail_risk import tail_forecasts
    from strategies.calibration import return_variance, shared_scale

    kinds = {m: (variance_of or {}).get(m, "target") for m in forecasts}  # what each model forecasts
    if calibrate == "proxy" and proxy is None and "target" in kinds.values():
        raise ParameterError(
            "risk_table: calibrate='proxy' needs proxy, the realised-variance series the forecasts were trained on. "
            "Hint: proxy=frame['rv'], or calibrate='none'."
        )
    returns = log_returns(close)
    variances, tails = {}, {}
    # the asset's proxy scale once, for every model that needs it
    scale = shared_scale(close, proxy, calibrate=calibrate, kinds=kinds.values())
    for model in forecasts:
        fc = forecasts[model].dropna()
        variances[model] = return_variance(fc, close, proxy, calibrate=calibrate, variance_of=kinds[model], scale=scale)
        tails[model] = tail_forecasts(
            returns, variances[model], levels=levels, methods=methods, min_history=min_history
        )
    base = baseline if baseline in tails else None
    return tail_table(returns, tails, variances, baseline=base, seed=seed), tails


def violation_summary(table: pd.DataFrame, size: float = 0.05) -> pd.DataFrame:
    """One row per model, one column per (method, level): the violation rate in
    percent, with ``*`` where the conditional-coverage or the ES test rejects at ``size``.
    """
    if table.empty:
        return pd.DataFrame()

    def cell(row: pd.Series) -> str:
        reject = (row["cc_p"] < size) or (row["es_p"] < size)
        return f"{100 * row['rate']:.2f}{'*' if reject else ''}"

    cells = table.apply(cell, axis=1)
    out = cells.unstack(["method", "level"])
    out.columns = [f"{m} {100 * a:g}%" for m, a in out.columns]
    return out.loc[list(dict.fromkeys(table.index.get_level_values("model")))]
