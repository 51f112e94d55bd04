from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest
from protoc import compile_python, import_stub

from modelwire.generator import generate
from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.lifecycle import LifecycleSettings
from modelwire.runtime.server import ServerSettings, create_runtime
from runtime.lifecycle.support import Lifecycle


@pytest.fixture(scope="session")
def train_api(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Stubs compiled by protoc from the trainlib .proto files the generator emitted."""
    root = tmp_path_factory.mktemp("train_api")
    generate("trainlib", root / "proto", lock_path=root / "modelwire.lock.json")
    compile_python(root / "proto", root / "stubs")
    stubs = root / "stubs"
    return SimpleNamespace(
        proto_dir=root / "proto",
        mgmt=import_stub(stubs, "trainwire.v1.trainwire_management_pb2"),
        mgmt_grpc=import_stub(stubs, "trainwire.v1.trainwire_management_pb2_grpc"),
        types=import_stub(stubs, "trainwire.v1.trainwire_types_pb2"),
        svc=import_stub(stubs, "trainwire.v1.trainwire_service_pb2"),
        svc_grpc=import_stub(stubs, "trainwire.v1.trainwire_service_pb2_grpc"),
    )


StartServer = Callable[..., Lifecycle]


@pytest.fixture
def start_server(tmp_path: Path, train_api: SimpleNamespace) -> Iterator[StartServer]:
    """Starts lifecycle runtimes (real grpcio on 127.0.0.1) that stop with the test."""
    started: list[Lifecycle] = []

    def start(
        models: Path | None = None, http: bool = False, extra=(), **settings
    ) -> Lifecycle:
        models = models or tmp_path / "models"
        models.mkdir(parents=True, exist_ok=True)
        settings.setdefault("data_dir", tmp_path / "data")
        settings["data_dir"].mkdir(parents=True, exist_ok=True)
        gateway = [HttpGateway(port=0)] if http else []
        runtime = create_runtime(
            "trainlib",
            models,
            ServerSettings(port=0, grace=5),
            extensions=[*gateway, *extra],
            lifecycle=LifecycleSettings(**settings),
        )
        runtime.start()
        channel = grpc.insecure_channel(runtime.address)
        server = Lifecycle(runtime, channel, train_api, models, settings["data_dir"])
        server.http = gateway[0].url if gateway else None
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.close()
