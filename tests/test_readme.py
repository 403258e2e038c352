"""The README says what the code and the recorded benchmarks say.

A user reads the README first; its figures went stale twice (a sample table
without the model the run prints, accuracy ratios from an older run). These
tests tie it to the shipped default config and to ``benchmarks/results.md``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
RESULTS = (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")


def _section(text: str, start: str, end: str) -> str:
    a = text.index(start)
    return text[a : text.index(end, a)]


def test_default_job_sample_lists_every_model_of_the_default_config() -> None:
    config = tomllib.loads((ROOT / "configs" / "sp500.toml").read_text(encoding="utf-8"))
    names = [f["name"] for f in config["forecasters"]]
    sample = _section(README, "`make run` runs the default job", "## What it finds")
    block = sample[sample.index("```") : sample.rindex("```")]
    leaderboard = block[: block.index("strategies on")]
    rows = set(re.findall(r"(\w+)\s+variance\s+1\s+\d+", leaderboard))
    assert rows == set(names), f"README sample rows {sorted(rows)} vs config models {sorted(names)}"


def test_findings_figures_are_recorded_benchmark_figures() -> None:
    findings = _section(README, "## What it finds", "## The Python API")
    figures = set(re.findall(r"\b\d\.\d{3}\b", findings))
    assert len(figures) >= 5, figures  # the section quotes its ratios to three places
    missing = sorted(f for f in figures if f not in RESULTS)
    assert not missing, f"README findings quote {missing}, which benchmarks/results.md does not record"


def test_readme_links_resolve() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert links
    broken = [link for link in links if not link.startswith("http") and not (ROOT / link).exists()]
    assert not broken, broken
