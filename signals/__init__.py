"""Features and forecasters: everything that produces a forecast."""
