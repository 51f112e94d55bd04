"""Model management and runtime info over the API; the models directory watched."""

from __future__ import annotations

import threading
from pathlib import Path

import grpc
import pytest
import trainlib
import yaml

import modelwire
from modelwire import save_model
from modelwire.runtime.server import ServerSettings, create_runtime
from runtime.lifecycle.support import code_of, tree, wait_for


def memo_folder(path: Path, note: str = "saved") -> Path:
    moods = {"sunny day": trainlib.Mood.HAPPY}
    return save_model(trainlib.Memo(moods, note), path)


def deploy(server, model_id: str, **fields):
    request = server.api.mgmt.DeployModelRequest(model_id=model_id, **fields)
    return server.manage.DeployModel(request, timeout=30)


def undeploy(server, model_id: str):
    request = server.api.mgmt.UndeployModelRequest(model_id=model_id)
    return server.manage.UndeployModel(request, timeout=30)


def test_deploy_from_a_path_list_info_undeploy(start_server, tmp_path):
    """A folder the server can read is copied in, loaded, described and removed."""
    server = start_server()
    source = memo_folder(tmp_path / "source")
    info = deploy(server, "copied", path=str(source))
    assert server.model_state(info) == "LOADED"
    assert (info.model_id, info.module_id) == ("copied", "trainlib.memo")
    assert (info.module_name, info.module_version) == ("Memo", "1.2.0")
    assert info.size_bytes > 0 and info.HasField("loaded_at")
    assert info.HasField("load_duration") and info.error == ""
    assert server.guess("copied", "sunny day").note == "saved"

    listed = server.manage.ListModels(server.api.mgmt.ListModelsRequest(), timeout=10)
    assert [m.model_id for m in listed.models] == ["copied"]
    assert undeploy(server, "copied").model_id == "copied"
    assert code_of(server.guess, "copied", "x") == grpc.StatusCode.NOT_FOUND
    assert not (server.models / "copied").exists()
    assert (source / "config.yml").is_file()
    assert code_of(undeploy, server, "copied") == grpc.StatusCode.NOT_FOUND


def test_deploy_from_uploaded_files(start_server, tmp_path):
    """The files of a model folder, uploaded in the request, become a model."""
    server = start_server()
    source = memo_folder(tmp_path / "source", note="uploaded")
    files = [
        server.api.mgmt.ModelFile(path=p.name, data=p.read_bytes())
        for p in source.iterdir()
    ]
    info = deploy(server, "sent", files=files)
    assert server.model_state(info) == "LOADED"
    assert server.guess("sent", "sunny day").note == "uploaded"


BAD_IDS = ["../evil", "a/b", "a\\b", "..", ".hidden", "", "x" * 129]


@pytest.mark.parametrize("model_id", BAD_IDS)
def test_bad_model_ids_are_refused_and_touch_nothing(start_server, tmp_path, model_id):
    """Ids with separators, '..', a leading dot or over 128 characters: INVALID_ARGUMENT."""
    server = start_server()
    source = memo_folder(tmp_path / "source")
    before = tree(tmp_path)
    calls = [
        lambda: deploy(server, model_id, path=str(source)),
        lambda: undeploy(server, model_id),
        lambda: server.model_info(model_id),
    ]
    for call in calls:
        assert code_of(call) == grpc.StatusCode.INVALID_ARGUMENT
    assert tree(tmp_path) == before


def test_uploaded_file_paths_may_not_leave_the_folder(start_server, tmp_path):
    """An uploaded file named with '..' or an absolute path is refused."""
    server = start_server()
    before = tree(tmp_path)
    for name in ["../config.yml", "/etc/x", "a/../../b", ""]:
        files = [server.api.mgmt.ModelFile(path=name, data=b"module_id: x\n")]
        call = lambda files=files: deploy(server, "up", files=files)  # noqa: E731
        assert code_of(call) == grpc.StatusCode.INVALID_ARGUMENT, name
    assert tree(tmp_path) == before


def test_deploy_refuses_taken_ids_and_folders_that_are_not_models(
    start_server, tmp_path
):
    """A taken id is ALREADY_EXISTS; a folder without a usable config is refused."""
    server = start_server()
    deploy(server, "one", path=str(memo_folder(tmp_path / "source")))
    taken = code_of(deploy, server, "one", path=str(tmp_path / "source"))
    assert taken == grpc.StatusCode.ALREADY_EXISTS

    empty = tmp_path / "empty"
    empty.mkdir()
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "config.yml").write_text("module_id: nobody.here\n")
    before = tree(server.models)
    for folder in (empty, unknown, tmp_path / "missing"):
        code = code_of(deploy, server, "two", path=str(folder))
        assert code == grpc.StatusCode.INVALID_ARGUMENT, folder
    assert tree(server.models) == before


def test_undeploy_lets_calls_in_flight_finish(start_server, tmp_path):
    """A call that holds the model when it is undeployed still gets its answer."""
    server = start_server()
    folder = tmp_path / "dozer"
    folder.mkdir()
    (folder / "config.yml").write_text("module_id: trainlib.dozer\n")
    deploy(server, "dozer", path=str(folder))
    trainlib.ENTERED.clear()
    trainlib.RELEASE.clear()
    answers = []
    caller = threading.Thread(
        target=lambda: answers.append(server.guess("dozer", "anything"))
    )
    caller.start()
    try:
        assert trainlib.ENTERED.wait(timeout=30)
        undeploy(server, "dozer")
    finally:
        trainlib.RELEASE.set()
        caller.join(timeout=30)
    assert [a.note for a in answers] == ["dozed"]
    assert code_of(server.guess, "dozer", "again") == grpc.StatusCode.NOT_FOUND


def test_runtime_info_names_the_library_and_its_modules(start_server):
    """GetRuntimeInfo: runtime version, library, package, modules with tasks."""
    server = start_server()
    info = server.info.GetRuntimeInfo(
        server.api.mgmt.GetRuntimeInfoRequest(), timeout=10
    )
    assert info.runtime_version == modelwire.__version__
    assert (info.library, info.proto_package) == ("trainlib", "trainwire.v1")
    modules = {m.module_id: m for m in info.modules}
    assert set(modules) == {"trainlib.memo", "trainlib.spinner", "trainlib.dozer"}
    memo = modules["trainlib.memo"]
    assert (memo.name, memo.version, memo.task) == ("Memo", "1.2.0", "GuessMood")
    assert memo.train_rpc == "TrainMemo"
    assert modules["trainlib.dozer"].train_rpc == ""


@pytest.mark.parametrize(
    "settings",
    [{"lazy": True}, {"sync_interval": 0.1}, {"lazy": True, "sync_interval": 0.1}],
    ids=["lazy", "sync", "lazy+sync"],
)
def test_c26_half_copied_model_folder(start_server, tmp_path, settings):
    """C26: calls to a folder still being copied are NOT_FOUND/UNAVAILABLE, then work."""
    server = start_server(**settings)
    source = memo_folder(tmp_path / "source", note="copied late")
    target = server.models / "late"
    target.mkdir()
    waiting = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE}

    def answers() -> grpc.StatusCode:
        return code_of(server.guess, "late", "sunny day")

    assert answers() in waiting
    (target / "moods.json").write_bytes((source / "moods.json").read_bytes())
    assert answers() in waiting
    config = (source / "config.yml").read_text()
    (target / "config.yml").write_text(config[: len(config) // 2])
    assert answers() in waiting
    try:
        info = server.model_info("late")
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND, exc.details()
    else:
        assert server.model_state(info) in ("NOT_LOADED", "FAILED")
    (target / "config.yml").write_text(config)

    def loaded() -> bool:
        try:
            return server.guess("late", "sunny day").note == "copied late"
        except grpc.RpcError as exc:
            assert exc.code() in waiting, exc.details()
            return False

    wait_for(loaded, "the copied model to load", timeout=60)
    assert server.model_state(server.model_info("late")) == "LOADED"


def test_lazy_models_load_on_their_first_call(start_server, tmp_path):
    """With lazy loading a model is listed NOT_LOADED until a call needs it."""
    models = tmp_path / "models"
    memo_folder(models / "sleepy")
    server = start_server(models=models, lazy=True)
    assert server.model_state(server.model_info("sleepy")) == "NOT_LOADED"
    assert server.guess("sleepy", "sunny day").known
    assert server.model_state(server.model_info("sleepy")) == "LOADED"


def test_sync_drops_models_whose_folder_vanished(start_server, tmp_path):
    """Periodic sync unloads a model whose folder was removed."""
    models = tmp_path / "models"
    memo_folder(models / "fleeting")
    server = start_server(models=models, sync_interval=0.1)
    assert server.guess("fleeting", "sunny day").known
    (models / "fleeting").rename(tmp_path / "moved-away")

    def gone() -> bool:
        try:
            server.guess("fleeting", "sunny day")
        except grpc.RpcError as exc:
            return exc.code() == grpc.StatusCode.NOT_FOUND
        return False

    wait_for(gone, "the model to be unloaded", timeout=60)


def test_lifecycle_over_http(start_server, tmp_path):
    """The HTTP gateway serves train, status, predict, info and undeploy too."""
    httpx = pytest.importorskip("httpx")
    server = start_server(http=True)
    base = f"{server.http}/trainwire.v1"
    with httpx.Client(timeout=30) as http:
        body = {"modelName": "web", "examples": [{"text": "hi", "mood": "MOOD_HAPPY"}]}
        submitted = http.post(f"{base}/TrainMemo", json=body)
        assert submitted.status_code == 200, submitted.text
        training_id = submitted.json()["trainingId"]
        assert submitted.json()["state"] == "TRAINING_STATE_QUEUED"
        server.wait(training_id)
        status = http.post(
            f"{base}/GetTrainingStatus", json={"trainingId": training_id}
        )
        assert status.json()["state"] == "TRAINING_STATE_COMPLETED"

        guess = http.post(f"{base}/models/web/GuessMood", json={"text": "hi"})
        assert guess.json()["mood"] == "MOOD_HAPPY"
        info = http.post(f"{base}/GetModelInfo", json={"modelId": "web"})
        assert info.json()["state"] == "MODEL_STATE_LOADED"
        runtime = http.post(f"{base}/GetRuntimeInfo", json={})
        assert runtime.json()["library"] == "trainlib"

        unknown = http.post(f"{base}/GetTrainingStatus", json={"trainingId": "nope"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["status"] == "NOT_FOUND"
        bad = http.post(f"{base}/UndeployModel", json={"modelId": "../x"})
        assert bad.status_code == 400
        assert http.post(f"{base}/UndeployModel", json={"modelId": "web"}).json() == {
            "modelId": "web"
        }
        gone = http.post(f"{base}/models/web/GuessMood", json={"text": "hi"})
        assert gone.status_code == 404


def test_config_written_by_hand_deploys(start_server, tmp_path):
    """A hand-written config naming a module without settings loads like a saved one."""
    server = start_server()
    folder = tmp_path / "hand"
    folder.mkdir()
    (folder / "config.yml").write_text(yaml.safe_dump({"module_id": "trainlib.dozer"}))
    info = deploy(server, "hand", path=str(folder))
    assert (info.module_name, info.module_version) == ("Dozer", "0.1.0")


@pytest.mark.parametrize("with_models", [True, False], ids=["models", "no-models"])
def test_every_management_rpc_is_served(train_api, tmp_path, with_models):
    """Each RPC of the emitted *_management.proto answers; none is UNIMPLEMENTED.

    Without a models directory, training and deploying are FAILED_PRECONDITION.
    """
    models = tmp_path / "models" if with_models else None
    if models is not None:
        models.mkdir()
    runtime = create_runtime("trainlib", models, ServerSettings(port=0))
    file = train_api.mgmt.DESCRIPTOR
    with runtime, grpc.insecure_channel(runtime.address) as channel:
        for service in file.services_by_name.values():
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                request = getattr(train_api.mgmt, method.input_type.name)()
                for name in ("model_id", "model_name"):
                    if name in method.input_type.fields_by_name:
                        setattr(request, name, "m")
                call = channel.unary_unary(path)
                try:
                    call(request.SerializeToString(), timeout=30)
                except grpc.RpcError as exc:
                    assert exc.code() != grpc.StatusCode.UNIMPLEMENTED, path
                    if not with_models and method.name.startswith(("Train", "Deploy")):
                        assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_read_only_models_directory_still_serves(start_server, tmp_path, caplog):
    """Without a writable place for training records, models serve and training is off."""
    models = tmp_path / "models"
    memo_folder(models / "kept")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the records folder should be")
    server = start_server(models=models, trainings_db=blocker / "jobs.sqlite3")
    assert server.guess("kept", "sunny day").known
    request = server.api.mgmt.TrainMemoRequest(
        model_name="new", examples=server.examples(("a", "SAD"))
    )
    code = code_of(server.training.TrainMemo, request, timeout=30)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert "training is off" in caplog.text
