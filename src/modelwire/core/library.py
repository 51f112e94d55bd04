"""Importing a library package so that its declarations register themselves."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from pathlib import Path

from modelwire.core.registry import REGISTRY, LibraryInfo


class LibraryImportError(ImportError):
    """The library named on the command line could not be imported."""


def import_library(name: str, app_dir: Path | None = None) -> LibraryInfo:
    """Import ``name`` (with ``app_dir`` first on ``sys.path``) and describe it."""
    if app_dir is not None:
        folder = str(Path(app_dir).resolve())
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            where = f" under {app_dir}" if app_dir else ""
            raise LibraryImportError(
                f"cannot import library {name!r}{where}: no such package; pass "
                "--app-dir with the folder that contains it"
            ) from None
        raise
    return REGISTRY.library_of(name)


def library_version(py_package: str) -> str:
    """The library's ``__version__``, else its installed distribution's, else 0.0.0."""
    module = sys.modules.get(py_package)
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    try:
        return importlib.metadata.version(py_package)
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"
