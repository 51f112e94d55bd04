"""The conformance runtime: conflib served on 127.0.0.1 with one model per module."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from google.protobuf.message import Message

from conformance.support import APP_DIR, LIBRARY, write_models
from modelwire.core.library import import_library
from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime


@pytest.fixture(scope="session")
def conformance_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    import_library(LIBRARY, APP_DIR)
    models = write_models(
        tmp_path_factory.mktemp("conformance_models"),
        importlib.import_module(LIBRARY).MODELS,
    )
    settings = ServerSettings(port=0, workers=8)
    gateway = HttpGateway(port=0)
    extensions = [gateway]
    with create_runtime(LIBRARY, models, settings, APP_DIR, extensions) as server:
        server.gateway = gateway  # type: ignore[attr-defined]
        yield server


@pytest.fixture(scope="session")
def message_classes(conformance_runtime: Runtime) -> dict[str, type[Message]]:
    return conformance_runtime.built.message_classes
