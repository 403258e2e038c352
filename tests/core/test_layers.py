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
