"""The layers point one way: core below all; signals never imports strategies,
reports or engine; strategies and reports never import engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "core": {"engine", "signals", "strategies", "reports"},
    "signals": {"engine", "strategies", "reports"},
    "strategies": {"engine", "reports"},
    "reports": {"engine"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_one_way(package):
    wrong = {str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN[package]) for p in (ROOT / package).glob("*.py")}
    assert not {k: v for k, v in wrong.items() if v}, f"{package} imports a layer above it"


def test_old_import_paths_still_work():
    from core.atomic import write_bytes_atomic
    from core.errors import DataError
    from engine.atomic import write_bytes_atomic as old_writer
    from signals.errors import DataError as old_error

    assert old_error is DataError and old_writer is write_bytes_atomic


def _module_graph() -> dict[str, set[str]]:
    """Every project module's imports of other project modules, at any depth of the
    file (a function-level import is a dependency too, only a later one).
    """
    modules = {}
    for package in ("core", "engine", "signals", "strategies", "reports", "tradecast"):
        for path in (ROOT / package).glob("*.py"):
            modules[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                deps |= {node.module} & modules.keys()
                deps |= {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names} & modules.keys()
        graph[name] = deps - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circle_between_modules():
    graph = _module_graph()
    assert {"engine.config", "engine.store", "engine.results", "core.tomlwriter"} <= graph.keys()
    assert not _cycles(graph), "modules that import each other (function-level imports included)"


def test_evaluation_has_one_room_and_the_old_paths_name_the_same_objects():
    import core.evaluation.adaptation as adaptation
    import core.evaluation.comparison as comparison
    import core.evaluation.losses as losses
    import core.evaluation.performance as performance
    import core.evaluation.universe as universe
    import reports.adaptation
    import reports.metrics
    import reports.universe
    import signals.losses
    import strategies.performance

    for old, new in (
        (signals.losses, losses),
        (strategies.performance, performance),
        (reports.universe, universe),
        (reports.adaptation, adaptation),
    ):
        assert old.__all__ == new.__all__ and all(getattr(old, n) is getattr(new, n) for n in new.__all__)
    assert reports.metrics.diebold_mariano is comparison.diebold_mariano
    assert reports.metrics.model_confidence_set is comparison.model_confidence_set
