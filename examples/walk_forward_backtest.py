"""Walk-forward volatility and return forecasts, vol-targeting and a threshold rule, end to end.

    python examples/walk_forward_backtest.py [--quick]   # about a minute on 2 cores; --quick: a smoke run
"""

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
    pd.set_option("display.width", 200), pd.set_option("display.max_columns", 20)
    # 1. Validated daily bars and features: Garman-Klass realized variance is the variance target.
    frame = feature_frame(load("embedded:sp500"), target="garman_klass")

    # 2. Out-of-sample forecasts, refit every year from 2008: three of tomorrow's variance, two of its return.
    epochs = 3 if quick else 30
    models = {
        "garch": GarchForecaster(),
        "loghar": HarForecaster(log=True),
        "lstm": RnnForecaster(hidden=(32,), epochs=epochs, patience=5, seed=0),
        "zero": ZeroForecaster(),
        "gru_return": RnnForecaster(cell="gru", target="return", hidden=(32,), features=("return", "rv"), epochs=epochs, patience=5, seed=0),
    }
    splitter = WalkForward(start="2016-01-01" if quick else "2008-01-01", refit_every="year")
    result = walk_forward(frame, models, splitter, n_jobs=2)
    forecasts = result.for_symbol().drop(columns="fold")

    # 3. Which model forecasts best? One table per target: QLIKE, DM against log-HAR and the MCS for variance;
    #    R² against zero and the historical mean, Pesaran-Timmermann, DM against zero for returns.
    board = leaderboard(forecasts, frame, result.models, baseline="loghar")
    print(board[["target", "qlike", "qlike_vs_loghar", "mse", "r2_vs_zero", "r2_vs_mean", "pt_pvalue", "in_mcs"]].round(4))

    # 4. Does it pay? The strategies of tradecast run (StrategySpec's defaults: a 10 % vol target on the
    #    mean of ten forecasts, calibrated to return variance; a regime rule; 2 bp), all on the same days.
    variance = forecasts[list(result.variance_of())]
    strategies, _ = strategy_table(frame["close"], variance, StrategySpec(), proxy=frame["rv"], variance_of=result.variance_of())
    print(strategies[["sharpe", "sharpe_vs_bh", "sharpe_vs_bh_se", "max_drawdown", "realised_vol"]].round(3))

    # 5. The return forecast traded: long when it is positive, flat otherwise, against buy and hold.
    trades, _ = threshold_table(frame["close"], forecasts[["gru_return"]], StrategySpec(threshold=ThresholdSpec(upper=0.0, short=False)))
    print(trades[["sharpe", "sharpe_vs_bh", "sharpe_vs_bh_se", "hit_rate"]].round(3))
    return result, strategies


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
