"""Client packages, one flavour per language, rendered from the intermediate form.

Every module of this package other than the framework (``base``, ``packages``)
defines one flavour and registers it on import, so adding a language is
adding a module.
"""

import importlib
import pkgutil

from modelwire.generator.clients.base import (
    FLAVOURS,
    ClientContext,
    ClientSettings,
    Flavour,
    ToolchainMissing,
    flavour,
    register,
)

_FRAMEWORK = frozenset({"base", "packages"})

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _FRAMEWORK and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "FLAVOURS",
    "ClientContext",
    "ClientSettings",
    "Flavour",
    "ToolchainMissing",
    "flavour",
    "register",
]
