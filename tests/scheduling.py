"""Which pytest-xdist worker runs which test: tests that share a fixture stay on one worker,
and slow tests start first.

``make test`` runs the suite in one process per core. pytest-xdist's default (``--dist load``)
sends each test to whichever worker is free, so a fixture wider than one test (a module's
fitted walk-forward, a universe run, a report written once) is computed by every worker that
gets one of its tests: on two cores the slowest ones (18 s, 9 s) ran twice and the suite lost
most of what the second core gave. ``--dist loadgroup`` would keep them together, but it marks
a group by editing the test's node id, which pytest 9.2 no longer honours (pytest-xdist issue
#1386), so nothing was grouped and nothing said so.

This module is a pytest plugin (``tests/conftest.py`` registers it where pytest-xdist is
installed). The workers write down, at collection, each test's *unit* (its module, where it uses a
fixture of class or module scope; the test alone otherwise) and whether it is
marked slow. The controller's scheduler (:class:`SharedFixtureScheduling`) reads that plan and
hands out units, those holding a slow test first and then the larger, so that a long test never
starts last while the other worker idles. A run without the plan (an older worker, a plugin
that renamed tests) falls back to one test a unit, pytest-xdist's ``load``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

__all__ = ["PLAN_KEY", "SharedFixtureScheduling", "plan_of", "read_plan", "shared_fixtures", "unit_of", "write_plan"]

#: The key of ``workerinput`` that names the folder the plan is written to.
PLAN_KEY = "tradecast_plan"

#: Where the controller keeps the folder of the plan.
_PLAN = pytest.StashKey[Path]()

#: Fixture scopes that outlive one test but not its module: those that keeping a module's tests
#: together makes once. (A session-wide fixture is made once per worker whatever the grouping;
#: pytest's own, ``tmp_path_factory``, costs nothing.)
SHARED_SCOPES = frozenset({"class", "module"})


def shared_fixtures(item: pytest.Item) -> list[str]:
    """The fixtures of class or module scope that ``item`` uses, directly or through others."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # not a function test (a doctest, say): nothing shared
        return []
    return sorted(name for name, defs in info.name2fixturedefs.items() if defs and defs[-1].scope in SHARED_SCOPES)


def plan_of(items: Iterable[pytest.Item]) -> dict[str, list]:
    """Each test's unit and slowness: ``{nodeid: [unit, slow]}``.

    The unit is the test's module where it uses a fixture of class or module scope, the test's
    own id otherwise.
    """
    plan: dict[str, list] = {}
    for item in items:
        unit = item.nodeid.split("::", 1)[0] if shared_fixtures(item) else item.nodeid
        plan[item.nodeid] = [unit, item.get_closest_marker("slow") is not None]
    return plan


def write_plan(folder: Path, worker: str, items: Iterable[pytest.Item]) -> None:
    """Write the plan of a worker's collection to ``folder/<worker>.json``, whole or not at all."""
    tmp = folder / f"{worker}.json.tmp"
    tmp.write_text(json.dumps(plan_of(items)), encoding="utf-8")
    os.replace(tmp, folder / f"{worker}.json")


def read_plan(folder: Path) -> dict[str, list]:
    """A plan some worker wrote (every worker collects the same tests); empty when none did."""
    for path in sorted(folder.glob("*.json")):
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def unit_of(plan: dict[str, list], nodeid: str) -> str:
    """The unit a test is handed out in: the plan's, or the test alone where the plan lacks it."""
    return plan.get(nodeid, [nodeid, False])[0]


class SharedFixtureScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with the units of the workers' plan, slow ones first.

    Parameters
    ----------
    config, log
        As pytest-xdist passes them to ``pytest_xdist_make_scheduler``.
    folder : Path
        Where the workers write their plans (:func:`write_plan`).
    """

    def __init__(self, config: pytest.Config, log, folder: Path) -> None:
        super().__init__(config, log)
        self.folder = folder
        self._plan: dict[str, list] | None = None

    @property
    def plan(self) -> dict[str, list]:
        """The workers' plan, read once after their collection (empty: one test a unit)."""
        if self._plan is None:
            self._plan = read_plan(self.folder)
        return self._plan

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(self.plan, nodeid)

    def schedule(self) -> None:
        """The first distribution, units ordered slow first then larger; later calls as xdist's.

        The same steps as ``LoadScopeScheduling.schedule`` but for the order of the units.
        """
        assert self.collection_is_completed
        if self.collection is not None:  # a rescheduling
            super().schedule()
            return
        if not self._check_nodes_have_same_collection():  # which reports the difference
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        units: dict[str, dict[str, bool]] = {}
        for nodeid in self.collection:
            units.setdefault(self._split_scope(nodeid), {})[nodeid] = False
        slow = {self._split_scope(n) for n in self.collection if self.plan.get(n, (n, False))[1]}
        for unit in sorted(units, key=lambda u: (u not in slow, -len(units[u]))):  # stable: else as collected
            self.workqueue[unit] = units[unit]
        for _ in range(max(0, len(self.nodes) - len(self.workqueue))):  # more workers than work
            node, _assigned = self.assigned_work.popitem()
            node.shutdown()
        for node in self.nodes:
            self._assign_work_unit(node)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()


def _plan_folder(config: pytest.Config) -> Path:
    if _PLAN not in config.stash:
        config.stash[_PLAN] = Path(tempfile.mkdtemp(prefix="tradecast-plan-"))
    return config.stash[_PLAN]


def pytest_configure_node(node) -> None:
    """Tell each worker where to write its plan."""
    node.workerinput[PLAN_KEY] = str(_plan_folder(node.config))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With ``-n`` and the default ``--dist load``, :class:`SharedFixtureScheduling`."""
    if config.getvalue("dist") != "load":
        return None  # a distribution asked for by name is honoured
    return SharedFixtureScheduling(config, log, _plan_folder(config))


@pytest.hookimpl(tryfirst=True)  # before the worker tells the controller its collection is done
def pytest_collection_finish(session: pytest.Session) -> None:
    """In a worker, write down each test's unit and slowness for the controller's scheduler."""
    folder = getattr(session.config, "workerinput", {}).get(PLAN_KEY)
    if folder is not None:
        write_plan(Path(folder), session.config.workerinput["workerid"], session.items)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PLAN in config.stash:
        shutil.rmtree(config.stash[_PLAN], ignore_errors=True)
