"""Evaluation, in one room: how forecasts and strategies are scored.

- :mod:`core.evaluation.losses`: QLIKE, log-MSE and MSE, and the rows each scores;
- :mod:`core.evaluation.accuracy`: point metrics, Mincer-Zarnowitz, Pesaran-Timmermann;
- :mod:`core.evaluation.comparison`: Diebold-Mariano, the model confidence set, SPA;
- :mod:`core.evaluation.bootstrap`: the stationary and circular block bootstraps' resamples;
- :mod:`core.evaluation.universe`: the universe leaderboard and the panel Diebold-Mariano test;
- :mod:`core.evaluation.adaptation`: regime shifts and how fast forecasts adapt to them;
- :mod:`core.evaluation.performance`: returns' performance, the Sharpe gap and the deflated Sharpe ratio.

Plain functions on arrays and frames, below every other layer: the forecasters'
training losses, the strategies' statistics, the report's leaderboards
(:mod:`reports.metrics` builds them from these) and ``tradecast compare`` use the
same code. The old import paths (``signals.losses``, ``strategies.performance``,
``reports.universe``, ``reports.adaptation``, ``reports.metrics``) still work.
"""
