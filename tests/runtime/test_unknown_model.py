"""An unknown model id is NOT_FOUND / 404 under every way of finding models (C20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.lifecycle import LifecycleSettings
from modelwire.runtime.modelmesh import ModelMeshApi, ModelMeshSettings
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime
from runtime.support import MODELS, on, write_models

UNKNOWN = "does-not-exist"

#: name -> (serve a models folder?, lifecycle settings, serve the ModelMesh API?)
LOADERS = {
    "eager": (True, LifecycleSettings(), False),
    "lazy": (True, LifecycleSettings(lazy=True), False),
    "sync": (True, LifecycleSettings(sync_interval=0.2), False),
    "lazy-and-sync": (True, LifecycleSettings(lazy=True, sync_interval=0.2), False),
    "modelmesh-only": (False, LifecycleSettings(), True),
    "modelmesh-with-folder": (True, LifecycleSettings(lazy=True), True),
}


@pytest.fixture(params=sorted(LOADERS))
def served(request, tmp_path: Path) -> Iterator[tuple[Runtime, HttpGateway]]:
    with_folder, lifecycle, mesh = LOADERS[request.param]
    models = write_models(tmp_path / "models", MODELS) if with_folder else None
    gateway = HttpGateway(port=0)
    extensions = [gateway]
    if mesh:
        extensions.append(ModelMeshApi(ModelMeshSettings(models_root=models)))
    settings = ServerSettings(port=0, workers=4)
    runtime = create_runtime("rtlib", models, settings, None, extensions, lifecycle)
    with runtime:
        yield runtime, gateway


def test_unknown_model_is_not_found_over_grpc(api, served):
    runtime, _ = served
    with grpc.insecure_channel(runtime.address) as channel:
        stub = api.grpc.WiretestServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Echo(api.pb.EchoRequest(text="x"), metadata=on(UNKNOWN), timeout=10)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    assert repr(UNKNOWN) in caught.value.details()
    assert "Traceback" not in caught.value.details()


def test_unknown_model_is_404_over_http(served):
    _, gateway = served
    path = f"/wiretest.v1/models/{UNKNOWN}/Echo"
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        response = http.post(path, content='{"text": "x"}')
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["status"] == "NOT_FOUND" and UNKNOWN in error["message"]
    assert "Traceback" not in response.text


def test_known_model_still_answers(api, served):
    """The same runtime serves a real model, so the 404s above are not blanket."""
    runtime, _ = served
    if runtime.store.models_dir is None:
        pytest.skip("this loader configuration starts with no models")
    with grpc.insecure_channel(runtime.address) as channel:
        stub = api.grpc.WiretestServiceStub(channel)
        reply = stub.Echo(api.pb.EchoRequest(text="é"), metadata=on("echo"), timeout=10)
    assert reply.text == "é"
