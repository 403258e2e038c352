"""The API reference builds from the docstrings without a warning (``make docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "engine", "signals", "strategies", "reports", "tradecast")


@pytest.mark.slow
def test_the_api_reference_builds_without_warnings(tmp_path):
    cmd = [sys.executable, "-W", "error", "-m", "pdoc", "--docformat", "numpy", "-o", str(tmp_path), *PACKAGES]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    for package in PACKAGES:
        assert (tmp_path / f"{package}.html").is_file()
    page = (tmp_path / "signals" / "tail_risk.html").read_text(encoding="utf-8")
    assert "tail_forecasts" in page and "filtered historical simulation" in page
