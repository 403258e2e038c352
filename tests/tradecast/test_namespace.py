"""The thin ``tradecast`` namespace re-exports the public API, lazily."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import tradecast as tc

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", tc.__all__)
def test_every_public_name_is_the_object_of_its_home_module(name):
    import importlib

    home = importlib.import_module(tc._WHERE[name])
    assert getattr(tc, name) is getattr(home, name)
    assert name in getattr(home, "__all__", [name]), f"{name} is not in {home.__name__}.__all__"


def test_import_is_light_and_unknown_names_are_refused():
    code = "import sys, tradecast; print('torch' in sys.modules, 'vectorbt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]
    with pytest.raises(AttributeError, match=r"no attribute 'walkforward'; the public names are: .*walk_forward"):
        tc.walkforward  # noqa: B018


def test_all_lists_exactly_the_re_exported_names():
    assert sorted(tc.__all__) == sorted(tc._WHERE)


def test_version_is_the_package_version():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert tc.__version__ == meta["project"]["version"]
