"""Forecasts to target weights to vectorbt portfolios.

* :mod:`strategies.vol_target`: weight = target volatility / forecast volatility;
* :mod:`strategies.threshold`: threshold trades from return forecasts, regimes from variance forecasts;
* :mod:`strategies.backtest`: weights to a vectorbt portfolio with costs and a benchmark;
* :mod:`strategies.grid`: parameter grids in one vectorbt call, with the deflated Sharpe ratio;
* :mod:`strategies.timing`: the timing rule, and a check for forecasts labelled one bar late.
"""
