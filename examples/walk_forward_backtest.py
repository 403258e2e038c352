"""Walk-forward volatility and return forecasts, vol-targeting and a threshold rule, end to end."""

# Run: python examples/walk_forward_backtest.py [--quick] (about a minute on 2 cores; --quick: a smoke run).

import sys

import pandas as pd

from engine.data import load
from engine.splits import WalkForward
from engine.walkforward import walk_forward
from reports.metrics import leaderboard
from signals.features import feature_frame
from signals.garch import GarchForecaster
from signals.har import HarForecaster
from signals.naive import ZeroForecaster
from signals.rnn import RnnForecaster
from strategies.evaluate import strategy_table, threshold_table
from strategies.spec import StrategySpec, ThresholdSpec


def main(quick: bool = False):
    pd.set_option("display.width", 200), pd.set_option("display.max_columns", 20), pd.set_option("display.precision", 4)
    # 1. Validated daily bars and features: Garman-Klass realized variance is the variance target.
    frame = feature_frame(load("embedded:sp500"), estimator="garman_klass")

    # 2. Out-of-sample forecasts, refit every year from 2008: three of tomorrow's variance, two of its return.
    net = {"hidden": (32,), "epochs": 3 if quick else 30, "patience": 5, "seed": 0}
    models = {
        "garch": GarchForecaster(),
        "loghar": HarForecaster(log=True),
        "lstm": RnnForecaster(**net),
        "zero": ZeroForecaster(),
        "gru_return": RnnForecaster(cell="gru", target="return", features=("return", "rv"), **net),
    }
    splitter = WalkForward(start="2016-01-01" if quick else "2008-01-01", refit_every="year")
    result = walk_forward(frame, models, splitter, n_jobs=2)
    forecasts = result.for_symbol().drop(columns="fold")

    # 3. Which model forecasts best? One table per target: QLIKE, DM, MCS for variance; R², PT, DM for returns.
    board = leaderboard(forecasts, frame, result.models, baseline="loghar")
    print(board[["target", "qlike", "qlike_vs_loghar", "mse", "r2_vs_zero", "r2_vs_mean", "pt_pvalue", "in_mcs"]])

    # 4. Does it pay? tradecast run's strategies (StrategySpec's defaults), on the same days as buy and hold.
    variance_of = result.variance_of()
    strategies, _ = strategy_table(
        frame["close"], forecasts[list(variance_of)], StrategySpec(), proxy=frame["rv"], variance_of=variance_of
    )
    print(strategies[["sharpe", "sharpe_vs_bh", "sharpe_vs_bh_se", "max_drawdown", "realised_vol"]].round(3))

    # 5. The return forecast traded: long when it is positive, flat otherwise, against buy and hold.
    long_if_positive = StrategySpec(threshold=ThresholdSpec(upper=0.0, short=False))
    trades, _ = threshold_table(frame["close"], forecasts[["gru_return"]], long_if_positive)
    print(trades[["sharpe", "sharpe_vs_bh", "sharpe_vs_bh_se", "hit_rate"]].round(3))
    return result, strategies


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
