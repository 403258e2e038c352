"""Suite-wide set-up: one thread per test process (see core.threads), and which pytest-xdist
worker runs which test (the plugin in tests/scheduling.py, where pytest-xdist is installed).
"""

from __future__ import annotations

import pytest

from core.threads import configure_threads

configure_threads()


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("xdist"):  # not installed, or -p no:xdist: its hooks do not exist
        return
    from tests import scheduling

    if not config.pluginmanager.is_registered(scheduling):
        config.pluginmanager.register(scheduling, "tradecast-scheduling")
