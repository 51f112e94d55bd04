"""The test plays ModelMesh: it drives a live runtime through mmesh.ModelRuntime.

Its client stubs are compiled by protoc from the runtime's model_runtime.proto,
and its inference calls use the stubs compiled from the library's .proto files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import grpc
import pytest
import rtlib
from protoc import compile_python, import_stub

from modelwire.runtime.model_store import folder_size
from modelwire.runtime.modelmesh import PROTO_ROOT, ModelMeshApi, ModelMeshSettings
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime
from runtime.support import on, write_models

CAPACITY = 3 << 30
TESTS_DIR = Path(__file__).resolve().parents[1]
MODELWIRE = Path(sys.executable).parent / "modelwire"


@pytest.fixture(scope="module")
def mm(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """ModelMesh's side of the API, compiled from the .proto that the runtime serves."""
    out = tmp_path_factory.mktemp("mmesh-stubs")
    compile_python(PROTO_ROOT / "mmesh", out)
    return SimpleNamespace(
        pb=import_stub(out, "model_runtime_pb2"),
        grpc=import_stub(out, "model_runtime_pb2_grpc"),
    )


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Model folders as ModelMesh's storage helper leaves them: one per model."""
    root = tmp_path_factory.mktemp("storage")
    write_models(
        root,
        {
            "echo": "rtlib.echo",
            "slow": "rtlib.slow_echo",
            "unloadable": "rtlib.unloadable",
            "foreign": "rtlib.nope",
        },
    )
    (root / "echo" / "weights.bin").write_bytes(b"\1" * 4096)
    (root / "no-config").mkdir()
    return root


@pytest.fixture(scope="module")
def mesh_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    static = write_models(tmp_path_factory.mktemp("static"), {"pinned": "rtlib.echo"})
    settings = ModelMeshSettings(capacity_bytes=CAPACITY, models_root=static)
    runtime = create_runtime(
        "rtlib",
        static,
        ServerSettings(port=0, workers=8),
        extensions=[ModelMeshApi(settings)],
    )
    with runtime:
        yield runtime


@pytest.fixture(scope="module")
def mesh_channel(mesh_runtime: Runtime) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(mesh_runtime.address) as channel:
        yield channel


@pytest.fixture(scope="module")
def control(mm: SimpleNamespace, mesh_channel: grpc.Channel):
    return mm.grpc.ModelRuntimeStub(mesh_channel)


@pytest.fixture(scope="module")
def tasks(api: SimpleNamespace, mesh_channel: grpc.Channel):
    return api.grpc.WiretestServiceStub(mesh_channel)


def load(mm, control, model_id: str, path: Path | str, key: str = ""):
    request = mm.pb.LoadModelRequest(
        modelId=model_id, modelType="rtlib", modelPath=str(path), modelKey=key
    )
    return control.loadModel(request, timeout=10)


def unload(mm, control, model_id: str) -> None:
    control.unloadModel(mm.pb.UnloadModelRequest(modelId=model_id), timeout=10)


def rpc_error(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, timeout=10, **kwargs)
    return caught.value


def test_modelmesh_loads_calls_and_unloads_a_model(mm, control, tasks, api, storage):
    """The issue's path: status, load, call by header, size, unload, NOT_FOUND."""
    status = control.runtimeStatus(mm.pb.RuntimeStatusRequest(), timeout=10)
    assert status.status == mm.pb.RuntimeStatusResponse.READY

    loaded = load(mm, control, "sentiment__isvc-0a1b2c", storage / "echo")
    assert loaded.sizeInBytes == folder_size(storage / "echo") > 4096

    reply = tasks.Echo(
        api.pb.EchoRequest(text="hello"),
        metadata=on("sentiment__isvc-0a1b2c"),
        timeout=10,
    )
    assert reply.text == "hello"
    size = control.modelSize(
        mm.pb.ModelSizeRequest(modelId="sentiment__isvc-0a1b2c"), timeout=10
    )
    assert size.sizeInBytes == loaded.sizeInBytes

    unload(mm, control, "sentiment__isvc-0a1b2c")
    error = rpc_error(
        tasks.Echo,
        api.pb.EchoRequest(text="hello"),
        metadata=on("sentiment__isvc-0a1b2c"),
    )
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert "sentiment__isvc-0a1b2c" in error.details()


def test_runtime_status_reports_settings_and_allowed_methods(mm, control):
    """READY carries the capacity, limits, version and the task RPCs to forward."""
    status = control.runtimeStatus(mm.pb.RuntimeStatusRequest(), timeout=10)
    assert status.capacityInBytes == CAPACITY
    assert status.maxLoadingConcurrency >= 1
    assert status.modelLoadingTimeoutMs > 0
    assert 0 < status.defaultModelSizeInBytes < CAPACITY
    assert status.runtimeVersion
    assert not status.allowAnyMethod and not status.limitModelConcurrency
    methods = set(status.methodInfos)
    assert "wiretest.v1.WiretestService/Echo" in methods
    assert "wiretest.v1.WiretestService/Sum" in methods
    assert all(not info.idInjectionPath for info in status.methodInfos.values())


def test_runtime_status_is_starting_until_the_server_runs(mm):
    """Before the port opens, runtimeStatus answers STARTING and nothing else."""
    extension = ModelMeshApi()
    runtime = create_runtime(
        "rtlib", None, ServerSettings(port=0), extensions=[extension]
    )
    try:
        before = extension.runtime_status(None)
        assert before.status == before.STARTING
        assert before.capacityInBytes == 0
        runtime.start()
        assert extension.runtime_status(None).status == before.READY
    finally:
        runtime.stop(grace=0)


def test_runtime_status_purges_what_modelmesh_placed(mm, control, tasks, api, storage):
    """A restarted ModelMesh asks for the status; its old models are dropped."""
    load(mm, control, "left-over", storage / "echo")
    control.runtimeStatus(mm.pb.RuntimeStatusRequest(), timeout=10)
    error = rpc_error(
        tasks.Echo, api.pb.EchoRequest(text="x"), metadata=on("left-over")
    )
    assert error.code() is grpc.StatusCode.NOT_FOUND
    # Models from the --models folder were not placed by ModelMesh, so they stay.
    reply = tasks.Echo(api.pb.EchoRequest(text="x"), metadata=on("pinned"), timeout=10)
    assert reply.text == "x"


def test_unload_lets_running_calls_finish(mm, control, tasks, api, storage):
    """unloadModel stops new calls; one already inside run() completes normally."""
    load(mm, control, "slow-one", storage / "slow")
    answers: list[str] = []
    finished_before = rtlib.SLOW_CALLS["finished"]

    def slow_call() -> None:
        request = api.pb.EchoRequest(text="late", delay_ms=1500)
        answers.append(tasks.Echo(request, metadata=on("slow-one"), timeout=20).text)

    caller = threading.Thread(target=slow_call)
    caller.start()
    _wait_for(lambda: rtlib.SLOW_CALLS["running"] > 0)
    unload(mm, control, "slow-one")
    error = rpc_error(tasks.Echo, api.pb.EchoRequest(text="x"), metadata=on("slow-one"))
    caller.join(timeout=20)

    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert answers == ["late"]
    assert rtlib.SLOW_CALLS["finished"] > finished_before


def test_binary_model_id_header_routes_non_ascii_ids(mm, control, tasks, api, storage):
    """ModelMesh sends ids that are not ASCII in mm-model-id-bin."""
    load(mm, control, "modèle-é", storage / "echo")
    try:
        reply = tasks.Echo(
            api.pb.EchoRequest(text="ok"),
            metadata=[("mm-model-id-bin", "modèle-é".encode())],
            timeout=10,
        )
        assert reply.text == "ok"
    finally:
        unload(mm, control, "modèle-é")


@pytest.mark.parametrize(
    ("model_id", "path", "code", "says"),
    [
        ("", "echo", grpc.StatusCode.INVALID_ARGUMENT, "invalid model id"),
        ("../up", "echo", grpc.StatusCode.INVALID_ARGUMENT, "path separators"),
        ("m", "", grpc.StatusCode.INVALID_ARGUMENT, "modelPath is empty"),
        ("m", "../../etc", grpc.StatusCode.INVALID_ARGUMENT, "leaves the models"),
        ("m", "missing", grpc.StatusCode.FAILED_PRECONDITION, "not a folder"),
        ("m", "no-config", grpc.StatusCode.FAILED_PRECONDITION, "config.yml"),
        ("m", "foreign", grpc.StatusCode.FAILED_PRECONDITION, "rtlib.nope"),
        ("m", "unloadable", grpc.StatusCode.INTERNAL, "weights.bin is truncated"),
    ],
)
def test_load_failures_map_to_the_codes_modelmesh_expects(
    mm, control, storage, model_id, path, code, says
):
    """Refused before loading: INVALID_ARGUMENT or FAILED_PRECONDITION; a failed load: INTERNAL."""
    # Relative paths are taken from the runtime's --models folder.
    model_path = path if path in ("", "../../etc") else storage / path
    error = rpc_error(
        control.loadModel,
        mm.pb.LoadModelRequest(modelId=model_id, modelPath=str(model_path)),
    )
    assert error.code() is code
    assert says in error.details()


def test_relative_model_path_is_read_from_the_models_folder(mm, control, tasks, api):
    """With --models, a relative modelPath names a folder inside it."""
    loaded = load(mm, control, "pinned-copy", "pinned")
    assert loaded.sizeInBytes > 0
    reply = tasks.Echo(
        api.pb.EchoRequest(text="y"), metadata=on("pinned-copy"), timeout=10
    )
    assert reply.text == "y"
    unload(mm, control, "pinned-copy")


def test_unknown_models_in_size_and_unload_calls(mm, control):
    """modelSize of an unknown model is NOT_FOUND; unloading it is a no-op."""
    error = rpc_error(control.modelSize, mm.pb.ModelSizeRequest(modelId="ghost"))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert "'ghost'" in error.details()
    unload(mm, control, "ghost")


def test_predicted_size_comes_from_the_key_the_folder_or_the_default(
    mm, control, storage
):
    """disk_size_bytes in modelKey wins; else the folder is measured; else the default."""

    def predict(path: str, key: str = "") -> int:
        request = mm.pb.PredictModelSizeRequest(
            modelId="p", modelPath=path, modelKey=key
        )
        return control.predictModelSize(request, timeout=10).sizeInBytes

    key = json.dumps({"model_type": {"name": "rtlib"}, "disk_size_bytes": 123456})
    assert predict(str(storage / "echo"), key) == 123456
    assert predict(str(storage / "echo"), "not json") == folder_size(storage / "echo")
    default = ModelMeshSettings().default_model_size_bytes
    assert predict(str(storage / "missing")) == default
    assert predict("") == default


def test_serve_command_drives_modelmesh_without_a_models_folder(mm, api, storage):
    """`modelwire serve --modelmesh` needs no --models: ModelMesh brings them."""
    command = [str(MODELWIRE), "serve", "rtlib", "--modelmesh", "--no-http"]
    command += ["--port", "0", "--modelmesh-capacity", "123456789"]
    command += ["--app-dir", str(TESTS_DIR)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env=env, encoding="utf-8"
    ) as process:
        try:
            address = _served_address(process)
            with grpc.insecure_channel(address) as channel:
                control = mm.grpc.ModelRuntimeStub(channel)
                status = control.runtimeStatus(mm.pb.RuntimeStatusRequest(), timeout=10)
                assert status.status == mm.pb.RuntimeStatusResponse.READY
                assert status.capacityInBytes == 123456789
                load(mm, control, "from-cli", storage / "echo")
                tasks = api.grpc.WiretestServiceStub(channel)
                request = api.pb.EchoRequest(text="cli")
                reply = tasks.Echo(request, metadata=on("from-cli"), timeout=10)
                assert reply.text == "cli"
        finally:
            process.kill()


def _served_address(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    log = []
    for line in process.stderr:
        log.append(line)
        found = re.search(r"serving \S+ on (127\.0\.0\.1:\d+)", line)
        if found:
            # Keep reading so that a full pipe never blocks the server.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return found.group(1)
    raise AssertionError("server exited before serving:\n" + "".join(log))


def _wait_for(condition, attempts: int = 200) -> None:
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("the slow call never reached the module")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "set models.dir (--models), or modelmesh.enabled (--modelmesh)"),
        (["--modelmesh", "--modelmesh-capacity", "0"], "--modelmesh-capacity"),
    ],
)
def test_serve_refuses_incomplete_modelmesh_options(args, says):
    """Without --models and --modelmesh there is nothing to serve; capacity must be > 0."""
    from typer.testing import CliRunner

    from modelwire.cli import app

    result = CliRunner().invoke(app, ["serve", "rtlib", "--port", "0", *args])
    assert result.exit_code == 2
    assert says in result.output
