from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import grpc
import pytest
from protoc import compile_python, import_stub

from modelwire.generator import generate
from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime
from runtime.support import MODELS, write_models


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Stubs compiled by protoc from the .proto files the generator emitted."""
    root = tmp_path_factory.mktemp("api")
    generate("rtlib", root / "proto", lock_path=root / "modelwire.lock.json")
    compile_python(root / "proto", root / "stubs")
    return SimpleNamespace(
        proto_dir=root / "proto",
        pb=import_stub(root / "stubs", "wiretest.v1.wiretest_service_pb2"),
        grpc=import_stub(root / "stubs", "wiretest.v1.wiretest_service_pb2_grpc"),
    )


@pytest.fixture(scope="session")
def runtime(
    tmp_path_factory: pytest.TempPathFactory, api: SimpleNamespace
) -> Iterator[Runtime]:
    models = write_models(tmp_path_factory.mktemp("models"), MODELS)
    gateway = HttpGateway(port=0)
    settings = ServerSettings(port=0, workers=8)
    server = create_runtime("rtlib", models, settings, extensions=[gateway])
    server.gateway = gateway  # type: ignore[attr-defined]
    with server:
        yield server


@pytest.fixture(scope="session")
def channel(runtime: Runtime) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(runtime.address) as chan:
        yield chan


@pytest.fixture(scope="session")
def stub(api: SimpleNamespace, channel: grpc.Channel):
    return api.grpc.WiretestServiceStub(channel)
