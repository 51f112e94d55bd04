"""Fixtures for generator tests: libraries imported into this very process."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelwire import REGISTRY


def _owned(package: str) -> list[str]:
    return [n for n in sys.modules if n == package or n.startswith(f"{package}.")]


@pytest.fixture
def in_process() -> Iterator[Callable[..., None]]:
    """Import packages from an app folder under an isolated registry; undo it after.

    Yields ``load(app, *packages)``. Packages imported meanwhile by
    ``modelwire.generator.generate`` are forgotten too when named by ``load``
    (pass ``import_now=False`` to only mark them).
    """
    saved_path = list(sys.path)
    packages: list[str] = []
    shadowed: dict[str, object] = {}

    def load(app: Path, *names: str, import_now: bool = True) -> None:
        if str(app) not in sys.path:
            sys.path.insert(0, str(app))
        importlib.invalidate_caches()
        for name in names:
            shadowed.update({n: sys.modules.pop(n) for n in _owned(name)})
            packages.append(name)
            if import_now:
                importlib.import_module(name)

    with REGISTRY.isolated():
        yield load
    sys.path[:] = saved_path
    for name in packages:
        for module in _owned(name):
            del sys.modules[module]
    sys.modules.update(shadowed)
