"""Forecast evaluation and HTML rendering (see the reports issue)."""
