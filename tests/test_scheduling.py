"""tests/scheduling.py: tests that share a fixture run on one pytest-xdist worker, slow ones first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xdist", reason="pytest-xdist is not installed (make test installs it)")

from tests.scheduling import plan_of, read_plan, shared_fixtures, unit_of, write_plan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wide():
    return object()


def test_a_test_using_a_module_fixture_is_planned_with_its_module(request, wide):
    (plan,) = plan_of([request.node]).values()
    assert shared_fixtures(request.node) == ["wide"]
    assert plan == ["tests/test_scheduling.py", False]


def test_a_test_using_only_pytests_own_wide_fixtures_is_a_unit_of_its_own(request, tmp_path):
    # tmp_path rests on the session-wide tmp_path_factory, which costs nothing to make twice
    assert "tmp_path_factory" in request.fixturenames
    assert shared_fixtures(request.node) == []
    assert plan_of([request.node]) == {request.node.nodeid: [request.node.nodeid, False]}


@pytest.mark.slow
def test_a_slow_mark_is_planned(request):
    assert plan_of([request.node])[request.node.nodeid] == [request.node.nodeid, True]


def test_a_plan_is_read_back_and_a_test_it_lacks_is_a_unit_of_its_own(request, tmp_path):
    assert read_plan(tmp_path) == {} and unit_of({}, "a.py::t") == "a.py::t"
    items = [i for i in request.session.items if i.nodeid.startswith("tests/test_scheduling.py::")]
    write_plan(tmp_path, "gw0", items)
    plan = read_plan(tmp_path)
    assert plan == plan_of(items) and not list(tmp_path.glob("*.tmp"))
    module = "tests/test_scheduling.py"
    assert unit_of(plan, f"{module}::test_a_test_using_a_module_fixture_is_planned_with_its_module") == module
    assert unit_of(plan, f"{module}::test_a_slow_mark_is_planned") == f"{module}::test_a_slow_mark_is_planned"


#: A suite for two workers: a module fixture that six tests share, six tests alone, and a
#: slow test collected last. Each test writes a line: what ran, on which worker.
SUITE = """
import os
import time

import pytest


def note(what):
    with open(os.environ["PLAN_LOG"], "a") as fh:
        fh.write(f"{what} {os.environ['PYTEST_XDIST_WORKER']}\\n")


@pytest.fixture(scope="module")
def shared():
    note("fixture")
    time.sleep(0.3)


@pytest.mark.parametrize("i", range(6))
def test_shared(shared, i):
    note("shared")


@pytest.mark.parametrize("i", range(6))
def test_alone(tmp_path, i):
    note("alone")
    time.sleep(0.05)


@pytest.mark.slow
def test_slow():
    note("slow")
    time.sleep(0.3)
"""


@pytest.mark.slow
def test_two_workers_compute_a_shared_fixture_once_and_start_the_slow_test_first(tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    log = tmp_path / "log.txt"
    env = {**os.environ, "PLAN_LOG": str(log), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "tests.scheduling", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "13 passed" in out.stdout
    lines = [line.split() for line in log.read_text().splitlines()]
    # the fixture was made once, and every test that uses it ran on the worker that made it
    assert [w for what, w in lines if what == "fixture"] == [w for what, w in lines if what == "shared"][:1]
    assert len({w for what, w in lines if what in ("fixture", "shared")}) == 1
    # the slow test, collected last, was the first thing its worker ran
    (slow,) = [w for what, w in lines if what == "slow"]
    assert next(what for what, w in lines if w == slow) == "slow"


@pytest.mark.slow
def test_the_suite_runs_with_pytest_xdist_switched_off():
    # the plugin's hooks are pytest-xdist's: registered without it, pytest would stop on "unknown hook"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "tests/core/test_errors.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout
