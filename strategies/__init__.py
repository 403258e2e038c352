"""Forecasts to target weights to vectorbt portfolios (see the strategies issue)."""
