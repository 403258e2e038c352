"""Headless Chromium for the report tests (Debian's chromium driven by playwright)."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest


def _chromium() -> str | None:
    return (
        os.environ.get("TRADECAST_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


@contextlib.contextmanager
def browser_page(**page_options):
    """A page of headless Debian Chromium, and the list its console and page errors go to."""
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but no Chromium found: .ci/run installs Debian's chromium package before the tests.")
        pytest.skip("no Chromium on this machine (apt-get install chromium); CI runs this check")
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exe,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(**page_options)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield page, errors
        finally:
            browser.close()
