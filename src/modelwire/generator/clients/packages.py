"""One generation run's client packages: pick flavours, check tools, render, prune."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from modelwire import __version__
from modelwire.core.build import Built, service_name
from modelwire.core.library import library_version
from modelwire.generator.clients.base import (
    BUILD_OUTPUT_DIRS,
    ClientContext,
    ClientSettings,
    Flavour,
    flavour,
)

logger = logging.getLogger(__name__)

#: Where packages go inside ``--out``: ``clients/<flavour>/``.
CLIENTS_DIR = "clients"


def prepare_flavours(names: Sequence[str]) -> list[Flavour]:
    """The requested flavours, each with its toolchain checked.

    Runs before the library is even imported, so a missing tool stops the run
    before anything is rendered or written. Raises ``ValueError`` for an
    unknown name and ``ToolchainMissing`` for a missing tool.
    """
    flavours = [flavour(name) for name in dict.fromkeys(names)]
    for item in flavours:
        item.check_toolchain()
    return flavours


def client_context(
    built: Built,
    py_package: str,
    proto_outputs: Mapping[str, str | bytes],
    settings: ClientSettings | None = None,
) -> ClientContext:
    """What every flavour renders from: the library's files, service and .proto text."""
    files = tuple(built.files_for(py_package))
    services = tuple(s for f in files for s in f.services)
    # The task service is <Stem>Service; management services sit beside it.
    tasks = [
        s for s in services if s.name == service_name(s.full_name.rsplit(".", 1)[0])
    ]
    if len(tasks) != 1:
        raise ValueError(
            f"library {py_package!r} declares {len(tasks)} task services; client "
            "packages need exactly one (declare a @module for a task)"
        )
    service = tasks[0]
    return ClientContext(
        library=py_package,
        library_version=library_version(py_package),
        proto_package=service.full_name.rsplit(".", 1)[0],
        service=service,
        files=files,
        services=services,
        proto_sources={
            p: t
            for p, t in proto_outputs.items()
            if p.endswith(".proto") and isinstance(t, str)
        },
        settings=settings or ClientSettings(),
        modelwire_version=__version__,
    )


def render_clients(
    flavours: Sequence[Flavour], context: ClientContext
) -> dict[str, str | bytes]:
    """Every package's files, by path relative to ``--out``."""
    outputs: dict[str, str | bytes] = {}
    for item in flavours:
        files = item.render(context)
        outputs.update({f"{CLIENTS_DIR}/{item.name}/{p}": c for p, c in files.items()})
        logger.info("rendered the %s client (%d files)", item.name, len(files))
    return outputs


def remove_stale_client_files(
    out: Path, flavours: Sequence[Flavour], keep: set[str]
) -> list[Path]:
    """Removes files of the rendered packages that this run no longer writes.

    A flavour's folder belongs to the generator, except the build outputs a
    user's toolchain leaves there (``node_modules``, ``target``...).
    """
    removed = []
    for item in flavours:
        folder = out / CLIENTS_DIR / item.name
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            relative = path.relative_to(out).as_posix()
            inside = path.relative_to(folder).parts
            if path.is_file() and relative not in keep and not _build_output(inside):
                path.unlink()
                removed.append(path)
    return removed


def _build_output(parts: tuple[str, ...]) -> bool:
    return any(p in BUILD_OUTPUT_DIRS or p.endswith(".egg-info") for p in parts[:-1])
