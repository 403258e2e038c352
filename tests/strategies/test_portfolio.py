"""Universe portfolios: weights by scheme, the portfolio vol target, the table."""

import numpy as np
import pandas as pd
import pytest

from core.errors import ParameterError
from strategies.portfolio import PORTFOLIO_COLUMNS, correlation_forecast, portfolio_table, portfolio_weights
from strategies.spec import PortfolioSpec, StrategySpec
from strategies.vol_target import smoothed_variance, vol_target_weights


def universe(n=3, days=1500, rho=0.6, seed=0):
    """Assets with known daily variances (a log-AR(1) each) and one constant correlation."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2010-01-01", periods=days)
    corr = np.full((n, n), rho)
    np.fill_diagonal(corr, 1.0)
    z = rng.normal(size=(days, n)) @ np.linalg.cholesky(corr).T
    logv = np.empty((days, n))
    logv[0] = np.log(1e-4)
    for t in range(1, days):
        logv[t] = np.log(1e-4) * 0.02 + 0.98 * logv[t - 1] + 0.15 * rng.normal(size=n)
    v = np.exp(logv) * np.linspace(0.5, 2.0, n)
    r = np.sqrt(v) * z
    frames, truth = {}, {}
    for i in range(n):
        sym = f"S{i}"
        close = 100 * np.exp(np.cumsum(r[:, i]))
        frames[sym] = pd.DataFrame({"close": close, "return": r[:, i], "rv": v[:, i]}, index=idx)
        truth[sym] = pd.Series(v[:, i], index=idx)
    return frames, pd.DataFrame(truth)


NO_CAL = StrategySpec(calibrate="none", smooth=1, fees_bps=0.0, risk_free=0.0)  # synthetic dates past the T-bill data


def test_portfolio_vol_target_realises_its_target_with_true_variances_and_correlations():
    frames, truth = universe(n=4, days=2500, rho=0.6)
    spec = PortfolioSpec(schemes=("vol_target",), target_vol=0.10, max_leverage=10.0, correlation="rolling", window=250)
    out = portfolio_table(frames, {"truth": truth.iloc[300:]}, spec, NO_CAL, se_reps=50)
    table = out.table
    row = table.loc[("truth", "vol_target")]
    assert row["forecast_vol"] == pytest.approx(0.10, rel=1e-9)  # ex ante, by construction
    assert row["realised_vol"] == pytest.approx(0.10, abs=0.006)  # ex post: the forecasts were right
    # ignoring correlation (each asset at 10 %/n, the budget="equal_risk" rule) realises
    # 10 % x sqrt((1 + (n - 1) rho) / n) = 8.4 % here, not the target
    naive = vol_target_weights(truth.iloc[300:], target_vol=0.10, budget="equal_risk", smooth=1, max_leverage=10)
    held = naive.loc[out.window.first : out.window.last]
    r = pd.DataFrame({s: f["return"] for s, f in frames.items()}).reindex(held.index)
    naive_vol = (held * r).sum(axis=1).std() * np.sqrt(252)
    assert naive_vol == pytest.approx(0.10 * np.sqrt((1 + 3 * 0.6) / 4), abs=0.006)
    assert naive_vol < 0.09


def test_equal_risk_spreads_risk_evenly_and_inverse_vol_follows_the_forecasts():
    frames, truth = universe(n=3, rho=0.3)
    rets = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    er = portfolio_weights(truth, rets, "equal_risk", PortfolioSpec(), smooth=1)
    ok = er.weights.notna().all(axis=1)
    np.testing.assert_allclose(er.risk_shares[ok].to_numpy(), 1 / 3, atol=1e-7)
    np.testing.assert_allclose(er.weights[ok].sum(axis=1), 1.0)
    iv = portfolio_weights(truth, rets, "inverse_vol", PortfolioSpec(), smooth=1).weights
    inv = 1 / np.sqrt(truth)
    pd.testing.assert_frame_equal(iv, inv.div(inv.sum(axis=1), axis=0))


def test_per_asset_targets_are_target_over_forecast_vol_then_the_gross_cap():
    frames, truth = universe(n=2)
    rets = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    spec = PortfolioSpec(schemes=("per_asset",), asset_targets={"S0": 0.05, "S1": 0.20}, max_leverage=1.5)
    w = portfolio_weights(truth, rets, "per_asset", spec, smooth=1).weights
    raw = pd.DataFrame({"S0": 0.05 / np.sqrt(252 * truth["S0"]), "S1": 0.20 / np.sqrt(252 * truth["S1"])})
    raw = raw.clip(upper=1.5)
    expected = raw.mul((1.5 / raw.sum(axis=1)).clip(upper=1.0), axis=0)
    pd.testing.assert_frame_equal(w, expected, check_names=False)
    assert (w.sum(axis=1) <= 1.5 + 1e-12).all()


def test_weights_of_a_day_do_not_use_that_days_return():
    frames, truth = universe(n=3)
    rets = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    day = rets.index[900]
    a = portfolio_weights(truth, rets, "vol_target", PortfolioSpec(), smooth=1).weights.loc[day]
    shocked = rets.copy()
    shocked.loc[day:] = shocked.loc[day:] * -7.0
    b = portfolio_weights(truth, shocked, "vol_target", PortfolioSpec(), smooth=1).weights.loc[day]
    pd.testing.assert_series_equal(a, b)


def test_table_scores_every_scheme_and_equal_weight_on_the_same_days():
    frames, truth = universe(n=3)
    spec = PortfolioSpec()
    out = portfolio_table(frames, {"m1": truth, "m2": truth * 1.5}, spec, NO_CAL, se_reps=50)
    table, results, _ = out
    assert list(table.columns) == list(PORTFOLIO_COLUMNS)
    assert len(table) == 2 * 3 + 1 and ("equal_weight", "-") in table.index
    days = {tuple(r.returns.index[[0, -1]]) for r in results.values()}
    assert len(days) == 1
    assert out.window.days == len(next(iter(results.values())).returns)
    # a forecast 1.5 times too high halves nothing for the fully invested schemes, but scales vol_target down
    assert table.loc[("m2", "vol_target"), "mean_gross"] == pytest.approx(
        table.loc[("m1", "vol_target"), "mean_gross"] / np.sqrt(1.5), rel=0.02
    )
    pd.testing.assert_frame_equal(results[("m1", "equal_risk")].weights, results[("m2", "equal_risk")].weights)


def test_errors_name_the_key_and_a_hint():
    with pytest.raises(ParameterError, match=r"strategy.portfolio.schemes .* got \['inverse_vol', 'bogus'\]"):
        PortfolioSpec(schemes=("inverse_vol", "bogus"))
    with pytest.raises(ParameterError, match=r'scheme "per_asset" needs asset_targets'):
        PortfolioSpec(schemes=("per_asset",))
    with pytest.raises(ParameterError, match=r"strategy.portfolio.halflife must be an integer >= 1 .* got 0"):
        PortfolioSpec(halflife=0)
    frames, truth = universe(n=2)
    rets = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    with pytest.raises(ParameterError, match=r"asset_targets has no target for S1.*Hint"):
        portfolio_weights(truth, rets, "per_asset", PortfolioSpec(schemes=("per_asset",), asset_targets={"S0": 0.1}))
    with pytest.raises(ParameterError, match="at least two assets"):
        portfolio_table({"S0": frames["S0"]}, {"m": truth[["S0"]]})
    with pytest.raises(ParameterError, match=r"target_vol has no target for column\(s\) S1"):
        vol_target_weights(truth, target_vol={"S0": 0.1})
    with pytest.raises(ParameterError, match="is a mapping"):
        vol_target_weights(truth["S0"], target_vol={"S0": 0.1})


@pytest.mark.parametrize("scheme", ["inverse_vol", "equal_risk", "vol_target"])
@pytest.mark.parametrize("correlation", ["ewma", "rolling"])
def test_weights_in_chunks_of_days_equal_all_days_at_once(monkeypatch, scheme, correlation):
    import strategies.portfolio as portfolio

    frames, truth = universe(n=4, days=700)
    returns = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    spec = PortfolioSpec(correlation=correlation, window=120, halflife=40)
    monkeypatch.setattr(portfolio, "CHUNK", 10_000)  # every day in one block, as before chunking
    whole = portfolio_weights(truth, returns, scheme, spec, smooth=1)
    monkeypatch.setattr(portfolio, "CHUNK", 7)
    chunked = portfolio_weights(truth, returns, scheme, spec, smooth=1)
    # equal risk iterates until every row of a block has converged (to 1e-10 of 1/n): blocks differ below that
    pd.testing.assert_frame_equal(chunked.weights, whole.weights, rtol=1e-8, atol=0)
    pd.testing.assert_frame_equal(chunked.risk_shares, whole.risk_shares, rtol=1e-8, atol=0)
    pd.testing.assert_series_equal(chunked.forecast_vol, whole.forecast_vol, rtol=1e-8, atol=0)
    assert whole.weights.notna().any().all()


def test_a_block_of_matrices_stays_within_its_bytes_however_many_assets(monkeypatch):
    import strategies.portfolio as portfolio

    frames, truth = universe(n=4, days=300)
    returns = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    monkeypatch.setattr(portfolio, "BLOCK_BYTES", 3 * 4 * 4 * 8)  # three 4 x 4 matrices
    sizes = [b.shape[0] for _, b in portfolio._correlation_chunks(returns, PortfolioSpec(), truth.index)]
    assert max(sizes) == 3 and sum(sizes) == len(truth)
    monkeypatch.setattr(portfolio, "BLOCK_BYTES", 1)  # never fewer than one date a block
    assert {b.shape[0] for _, b in portfolio._correlation_chunks(returns, PortfolioSpec(), truth.index[:5])} == {1}


def test_memory_of_the_weights_does_not_grow_with_days_times_assets_squared():
    import tracemalloc

    rng = np.random.default_rng(0)
    n = 100

    def peak(days: int) -> int:
        idx = pd.bdate_range("2000-01-03", periods=days)
        cols = [f"S{i}" for i in range(n)]
        returns = pd.DataFrame(0.01 * rng.standard_normal((days, n)), index=idx, columns=cols)
        variance = pd.DataFrame(1e-4, index=idx, columns=cols)
        tracemalloc.start()
        out = portfolio_weights(variance, returns, "inverse_vol", PortfolioSpec(halflife=40), smooth=1)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert out.weights.iloc[-1].notna().all()
        return top

    short, long = peak(1000), peak(3000)
    # three times the days: the same few (n, n) blocks, plus the (days, n) weights
    assert long < 1.5 * short, f"peak {short / 1e6:.0f} MB for 1,000 days, {long / 1e6:.0f} MB for 3,000"
    assert long < 3000 * n * n * 8 / 4  # one (days, n, n) array of matrices alone was 240 MB


def test_portfolio_table_returns_a_typed_immutable_result():
    from strategies.portfolio import PortfolioResult

    frames, truth = universe(n=3, days=700)
    out = portfolio_table(frames, {"m": truth.iloc[300:]}, PortfolioSpec(schemes=("inverse_vol",)), NO_CAL, se_reps=20)
    assert isinstance(out, PortfolioResult)
    assert out.table is not None and ("m", "inverse_vol") in out.backtests and ("m", "inverse_vol") in out.weights
    with pytest.raises(AttributeError):
        out.table = None  # type: ignore[misc]


@pytest.mark.parametrize("base", ["inverse_vol", "equal_risk"])
def test_every_scheme_of_every_model_at_once_equals_one_scheme_at_a_time(base, monkeypatch):
    from strategies import portfolio, risk
    from strategies.portfolio import weights_of_schemes

    frames, truth = universe(n=4, days=800)
    returns = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    targets = {s: 0.1 for s in frames}
    spec = PortfolioSpec(base=base, asset_targets=targets, max_leverage=1.5)
    models = {"true": truth, "noisy": truth * np.exp(np.random.default_rng(1).normal(0, 0.2, truth.shape))}
    schemes = ("inverse_vol", "equal_risk", "vol_target", "per_asset")
    solved = []
    monkeypatch.setattr(portfolio, "equal_risk_weights", lambda c: solved.append(1) or risk.equal_risk_weights(c))
    together = weights_of_schemes(models, returns, schemes, spec, smooth=3)
    n_together = len(solved)
    for (model, scheme), got in together.items():
        alone = portfolio_weights(models[model], returns, scheme, spec, smooth=3)
        pd.testing.assert_frame_equal(got.weights, alone.weights)
        pd.testing.assert_frame_equal(got.risk_shares, alone.risk_shares)
        pd.testing.assert_series_equal(got.forecast_vol, alone.forecast_vol)
    # equal-risk weights are solved once a chunk (on the correlations), not once a model or a scheme
    chunks = -(-len(truth) // portfolio.CHUNK)
    assert n_together == chunks


def test_equal_risk_weights_from_the_correlations_equal_a_solve_on_the_covariance():
    """Equal risk under D R D is D^-1 times equal risk under R, rescaled: the portfolio's weights
    and risk shares equal the direct solve (risk.equal_risk_weights on risk.covariance) and the
    direct quadratic forms, to the solver's tolerance.
    """
    from strategies import risk

    frames, truth = universe(n=5, days=600)
    returns = pd.DataFrame({s: f["return"] for s, f in frames.items()})
    spec = PortfolioSpec(base="equal_risk", max_leverage=1.5)
    noisy = truth * np.exp(np.random.default_rng(3).normal(0, 0.3, truth.shape))
    corr = correlation_forecast(returns, spec, noisy.index)
    vol = np.sqrt(smoothed_variance(noisy, 2).to_numpy())
    cov = risk.covariance(vol, corr)
    direct = risk.equal_risk_weights(cov)
    ok = np.isfinite(direct).all(axis=1)
    assert ok.sum() > 300
    for scheme in ("equal_risk", "vol_target"):
        got = portfolio_weights(noisy, returns, scheme, spec, smooth=2)
        w = got.weights.to_numpy()
        expect = direct.copy()
        if scheme == "vol_target":
            annual = risk.portfolio_vol(direct, cov) * np.sqrt(252)
            expect = direct * (0.10 / annual)[:, None]
            expect *= np.minimum(1.0, 1.5 / np.abs(expect).sum(axis=1))[:, None]
        np.testing.assert_allclose(w[ok], expect[ok], rtol=1e-8, atol=0)
        np.testing.assert_allclose(got.risk_shares.to_numpy()[ok], risk.risk_contributions(w, cov)[ok], rtol=1e-9)
        np.testing.assert_allclose(got.forecast_vol.to_numpy()[ok], risk.portfolio_vol(w, cov)[ok] * np.sqrt(252))
    erc = portfolio_weights(noisy, returns, "equal_risk", spec, smooth=2)
    np.testing.assert_allclose(erc.risk_shares.to_numpy()[ok], 0.2, atol=1e-7)  # five assets, a fifth each
