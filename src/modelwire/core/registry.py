"""The process-wide registry of libraries, data objects, tasks and modules."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelwire.core.errors import SchemaError
from modelwire.core.lock import LOCK_FILE_NAME, FieldLock

if TYPE_CHECKING:
    from modelwire.core.build import Built
    from modelwire.core.dataobject import MessageSpec
    from modelwire.core.modules import ModuleSpec
    from modelwire.core.tasks import TaskSpec


@dataclass(frozen=True)
class LibraryInfo:
    """A Python package whose declarations form one versioned proto package."""

    py_package: str
    proto_package: str
    #: serve the lifecycle API (training, model management, info); None: only
    #: when a module of the library defines train()
    lifecycle: bool | None = None


@dataclass
class _State:
    libraries: dict[str, LibraryInfo] = field(default_factory=dict)
    dataobjects: dict[str, tuple[type, MessageSpec]] = field(default_factory=dict)
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    modules: dict[str, ModuleSpec] = field(default_factory=dict)


class Registry:
    def __init__(self) -> None:
        self._state = _State()
        self._built: Built | None = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------ libraries

    def declare_library(
        self,
        py_package: str,
        proto_package: str | None = None,
        lifecycle: bool | None = None,
    ) -> None:
        """Declare the proto package (``name.vN``) of a Python package.

        Without a declaration a package ``foo`` gets ``foo.v1``. ``lifecycle``
        forces the lifecycle services on or off (default: on when a module
        of the library defines ``train()``).
        """
        proto_package = proto_package or f"{py_package.rsplit('.', 1)[-1]}.v1"
        _check_package(proto_package, py_package)
        self._state.libraries[py_package] = LibraryInfo(
            py_package, proto_package, lifecycle
        )
        self._built = None

    def library_of(self, py_module: str) -> LibraryInfo:
        parts = py_module.split(".")
        for size in range(len(parts), 0, -1):
            info = self._state.libraries.get(".".join(parts[:size]))
            if info is not None:
                return info
        top = parts[0]
        return LibraryInfo(top, f"{top}.v1")

    def package_for(self, py_module: str) -> str:
        return self.library_of(py_module).proto_package

    def lock_path(self, py_module: str) -> Path | None:
        top = self.library_of(py_module).py_package
        module = sys.modules.get(top)
        spec_file = getattr(module, "__file__", None)
        if spec_file is None:
            return None
        return Path(spec_file).parent / LOCK_FILE_NAME

    # ----------------------------------------------------------- registering

    def add_dataobject(self, cls: type, spec: MessageSpec) -> None:
        with self._lock:
            known = self._state.dataobjects.get(spec.full_name)
            if known is not None and known[1].fingerprint() != spec.fingerprint():
                raise SchemaError(
                    f"data object {spec.full_name} is defined twice with different "
                    f"fields: by {known[1].source} and by {spec.source}; rename one "
                    "class or give it another package"
                )
            # An identical re-definition (a re-import) replaces the old class.
            self._state.dataobjects[spec.full_name] = (cls, spec)
            self._built = None

    def add_task(self, spec: TaskSpec) -> None:
        with self._lock:
            self._state.tasks[spec.source] = spec
            self._built = None

    def add_module(self, spec: ModuleSpec) -> None:
        with self._lock:
            known = self._state.modules.get(spec.id)
            if known is not None and known.source != spec.source:
                raise SchemaError(
                    f"module id {spec.id!r} is used by both {known.source} and "
                    f"{spec.source}; module ids must be unique"
                )
            self._state.modules[spec.id] = spec
            self._built = None

    @property
    def dataobjects(self) -> dict[str, tuple[type, MessageSpec]]:
        return dict(self._state.dataobjects)

    @property
    def modules(self) -> dict[str, ModuleSpec]:
        return dict(self._state.modules)

    def module(self, module_id: str) -> ModuleSpec:
        try:
            return self._state.modules[module_id]
        except KeyError:
            known = ", ".join(sorted(self._state.modules)) or "none"
            raise KeyError(
                f"no module with id {module_id!r} (known: {known})"
            ) from None

    # -------------------------------------------------------------- building

    def build(
        self,
        locks: dict[str, FieldLock] | None = None,
        allow_breaking: frozenset[str] = frozenset(),
    ) -> Built:
        """Resolve numbers and build descriptors for everything registered.

        The result is cached until something new is registered. ``locks``
        (by library package) replaces the lock files read from disk.
        """
        from modelwire.core.build import build_registry

        with self._lock:
            if self._built is None or locks is not None:
                self._built = build_registry(self, locks or {}, allow_breaking)
            return self._built

    def message_class(self, full_name: str) -> Any:
        return self.build().message_classes[full_name]

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Registrations inside the block are forgotten after it (for tests)."""
        saved = self._state
        self._state = _State(
            dict(saved.libraries),
            dict(saved.dataobjects),
            dict(saved.tasks),
            dict(saved.modules),
        )
        self._built = None
        try:
            yield
        finally:
            self._state = saved
            self._built = None

    @property
    def state(self) -> _State:
        return self._state


def _check_package(proto_package: str, py_package: str) -> None:
    parts = proto_package.split(".")
    valid = all(p and p.isidentifier() and p.islower() for p in parts)
    version = parts[-1]
    if (
        not valid
        or len(parts) < 2
        or not (version[:1] == "v" and version[1:2].isdigit())
    ):
        raise SchemaError(
            f"library {py_package}: proto package {proto_package!r} must be "
            "lower_snake parts ending in a version, such as 'text_sentiment.v1'"
        )


REGISTRY = Registry()
