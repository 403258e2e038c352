"""Suite-wide set-up: one thread per test process (see core.threads)."""

from core.threads import configure_threads

configure_threads()
