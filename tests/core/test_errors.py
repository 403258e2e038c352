"""One root for every error tradecast raises: ``except TradecastError`` catches them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from core.errors import TradecastError

PACKAGES = ("core", "engine", "signals", "strategies", "reports", "tradecast")


def _modules():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{name}."):
            yield importlib.import_module(info.name)


def _exception_classes():
    seen = {}
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, BaseException) and not issubclass(cls, Warning):
                seen[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return seen


def test_every_exception_class_derives_from_tradecast_error():
    classes = _exception_classes()
    # the ones that once sat outside the root are found, so the walk over the packages works
    for name in (
        "signals.base.NotFittedError",
        "signals.audit.CausalityError",
        "core.atomic.CorruptFileError",
        "engine.executors.WorkerDied",
        "strategies.timing.AlignmentError",
    ):
        assert name in classes
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, TradecastError))
    assert not outside, f"exceptions outside TradecastError: {outside}"


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("signals.base.NotFittedError", RuntimeError),
        ("signals.audit.CausalityError", AssertionError),
        ("core.atomic.CorruptFileError", OSError),
        ("engine.executors.WorkerDied", RuntimeError),
        ("strategies.timing.AlignmentError", ValueError),
    ],
)
def test_errors_keep_their_builtin_base_for_code_that_catches_it(name, builtin):
    module, _, cls = name.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), cls), builtin)
