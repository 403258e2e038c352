"""Suite-wide set-up: one thread per test process (see signals.threads)."""

from signals.threads import configure_threads

configure_threads()
