"""Model management and runtime info: deploy, undeploy, list, describe.

Every change to the models directory is one rename: a deployed model is
copied (or written from uploaded files) into a dot folder, which sync and
lazy loading ignore, checked, and then renamed to its model id; an
undeployed one is renamed away before it is deleted. So a reader of the
directory never sees half a model, and a bad request touches nothing.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import grpc

import modelwire
from modelwire.core.library import library_version
from modelwire.core.lifecycle import ENUMS, INFO_SERVICE, MODEL_SERVICE, LifecycleInfo
from modelwire.core.model_dir import ModelConfigError, read_config
from modelwire.core.registry import REGISTRY
from modelwire.runtime.model_store import (
    ModelRecord,
    ModelState,
    ModelStore,
    check_model_id,
    folder_size,
)
from modelwire.runtime.server import UnaryMethod
from modelwire.runtime.status import Failure

if TYPE_CHECKING:
    from modelwire.runtime.server import Runtime

logger = logging.getLogger(__name__)
_MODEL_STATE = ENUMS[1]
#: Largest upload DeployModel accepts, in bytes (gRPC's own limit is 4 MiB per
#: message unless the server raises it).
MAX_UPLOAD_BYTES = 1 << 30


class ModelManager:
    """Deploys models into, and undeploys them from, a models directory."""

    def __init__(
        self,
        store: ModelStore,
        models_dir: Path | None,
        trained_dir: Callable[[str], Path] | None = None,
    ) -> None:
        self.store = store
        self.models_dir = Path(models_dir) if models_dir is not None else None
        self._trained = trained_dir
        self._lock = threading.Lock()

    def deploy(
        self, model_id: str, path: str, files: Sequence[tuple[str, bytes]]
    ) -> ModelRecord:
        """Copies a model folder into place and loads it."""
        _check_id(model_id)
        models_dir = self._models_dir()
        with self._lock:
            target = models_dir / model_id
            if self.store.record(model_id) is not None or target.exists():
                raise Failure(
                    grpc.StatusCode.ALREADY_EXISTS,
                    f"model {model_id!r} is already deployed; undeploy it first or "
                    "choose another model_id",
                )
            staging = models_dir / f".deploy-{uuid.uuid4().hex}"
            try:
                self._stage(model_id, path, files, staging)
                self._check_config(staging)
                staging.rename(target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            try:
                self.store.load(model_id, target)
            except Exception as exc:
                self.store.unload(model_id)
                _remove(target)
                raise Failure(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"model {model_id!r} could not be loaded, so it was not "
                    f"deployed: {exc}",
                ) from None
        logger.info("deployed model %s", model_id)
        return self.record(model_id)

    def undeploy(self, model_id: str) -> None:
        """Stops serving ``model_id`` and deletes its folder; calls in flight finish."""
        _check_id(model_id)
        with self._lock:
            folder = self.models_dir / model_id if self.models_dir else None
            has_folder = folder is not None and folder.is_dir()
            if self.store.record(model_id) is None and not has_folder:
                raise _not_found(model_id)
            if has_folder:
                assert folder is not None
                # Renamed away first, so neither sync nor a lazy call reloads it.
                _remove(folder)
            self.store.unload(model_id)
        logger.info("undeployed model %s", model_id)

    def record(self, model_id: str) -> ModelRecord:
        _check_id(model_id)
        record = self.store.record(model_id)
        if record is None:
            raise _not_found(model_id)
        return record

    def records(self) -> list[ModelRecord]:
        known = {r.model_id: r for r in self.store.records()}
        if self.store.lazy and self.models_dir is not None and self.models_dir.is_dir():
            for folder in self.models_dir.iterdir():
                if folder.name not in known and not folder.name.startswith("."):
                    record = self.store.record(folder.name)
                    if record is not None:
                        known[folder.name] = record
        return [known[key] for key in sorted(known)]

    # ------------------------------------------------------------- steps

    def _models_dir(self) -> Path:
        if self.models_dir is None:
            raise Failure(
                grpc.StatusCode.FAILED_PRECONDITION,
                "this server runs without a models directory; start it with "
                "--models to deploy models",
            )
        return self.models_dir

    def _stage(
        self,
        model_id: str,
        path: str,
        files: Sequence[tuple[str, bytes]],
        staging: Path,
    ) -> None:
        if path and files:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                "set either path or files, not both",
            )
        if files:
            _write_files(files, staging)
            return
        source = Path(path) if path else self._trained_source(model_id)
        if not source.is_dir():
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"path {path!r} is not a folder the server can read",
            )
        shutil.copytree(source, staging)

    def _trained_source(self, model_id: str) -> Path:
        source = self._trained(model_id) if self._trained else None
        if source is None or not source.is_dir():
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"nothing to deploy as {model_id!r}: give the path of a model "
                "folder, upload its files, or name a model trained with deploy=false",
            )
        return source

    def _check_config(self, folder: Path) -> None:
        try:
            config = read_config(folder)
            REGISTRY.module(config.module_id)
        except (ModelConfigError, KeyError) as exc:
            reason = exc.args[0] if isinstance(exc, KeyError) else exc
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"not a model folder this server can serve: {reason}",
            ) from None


def _write_files(files: Sequence[tuple[str, bytes]], staging: Path) -> None:
    total = sum(len(data) for _, data in files)
    if total > MAX_UPLOAD_BYTES:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the upload holds {total} bytes; at most {MAX_UPLOAD_BYTES} are accepted",
        )
    for name, data in files:
        relative = PurePosixPath(name)
        if not name or relative.is_absolute() or ".." in relative.parts or "\\" in name:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"file path {name!r} must be relative to the model folder, "
                "with '/' separators and no '..'",
            )
        target = staging.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _remove(folder: Path) -> None:
    graveyard = folder.with_name(f".removed-{folder.name}-{uuid.uuid4().hex[:8]}")
    folder.rename(graveyard)
    shutil.rmtree(graveyard, ignore_errors=True)


def _check_id(model_id: str) -> None:
    try:
        check_model_id(model_id)
    except ValueError as exc:
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from None


def _not_found(model_id: str) -> Failure:
    return Failure(
        grpc.StatusCode.NOT_FOUND,
        f"model {model_id!r} is not deployed; ListModels shows the known ones",
    )


# ------------------------------------------------------------------ messages


def fill_model_info(message: Any, record: ModelRecord) -> Any:
    """Sets the ``ModelInfo`` fields of ``message`` from what the store knows."""
    module_id, saved_version = record.module_id, ""
    if record.path is not None and record.path.is_dir():
        message.size_bytes = folder_size(record.path)
        try:
            config = read_config(record.path)
            module_id, saved_version = config.module_id, config.module_version
        except ModelConfigError:
            pass
    message.model_id = record.model_id
    message.module_id = module_id
    try:
        spec = REGISTRY.module(module_id) if module_id else None
    except KeyError:
        spec = None
    if spec is not None:
        message.module_name = spec.name
        message.module_version = saved_version or spec.version
    state = message.DESCRIPTOR.fields_by_name["state"].enum_type
    message.state = state.values_by_name[
        _MODEL_STATE.value_name(record.state.value)
    ].number
    if record.loaded_at is not None:
        message.loaded_at.FromDatetime(record.loaded_at)
    if record.load_seconds is not None and record.state is ModelState.LOADED:
        message.load_duration.FromTimedelta(timedelta(seconds=record.load_seconds))
    message.error = record.error
    return message


def management_methods(
    lifecycle: LifecycleInfo, runtime: Runtime, models: ModelManager
) -> list[UnaryMethod]:
    """The model management and runtime info services."""
    classes = runtime.built.message_classes
    package = lifecycle.package

    def method(service: str, name: str, call: Callable[[Any], Any]) -> UnaryMethod:
        request_class = classes[f"{package}.{name}Request"]
        return UnaryMethod(
            package, lifecycle.service(service), name, request_class, call
        )

    def reply(name: str) -> Any:
        return classes[f"{package}.{name}Response"]()

    def deploy(request: Any) -> Any:
        files = [(f.path, f.data) for f in request.files]
        record = models.deploy(request.model_id, request.path, files)
        return fill_model_info(reply("DeployModel"), record)

    def undeploy(request: Any) -> Any:
        models.undeploy(request.model_id)
        response = reply("UndeployModel")
        response.model_id = request.model_id
        return response

    def list_models(request: Any) -> Any:
        response = reply("ListModels")
        for record in models.records():
            fill_model_info(response.models.add(), record)
        return response

    def model_info(request: Any) -> Any:
        return fill_model_info(reply("GetModelInfo"), models.record(request.model_id))

    def runtime_info(request: Any) -> Any:
        return fill_runtime_info(reply("GetRuntimeInfo"), runtime, package)

    return [
        method(MODEL_SERVICE, "DeployModel", deploy),
        method(MODEL_SERVICE, "UndeployModel", undeploy),
        method(MODEL_SERVICE, "ListModels", list_models),
        method(MODEL_SERVICE, "GetModelInfo", model_info),
        method(INFO_SERVICE, "GetRuntimeInfo", runtime_info),
    ]


def fill_runtime_info(message: Any, runtime: Runtime, package: str) -> Any:
    message.runtime_version = modelwire.__version__
    message.library = runtime.library
    message.library_version = library_version(runtime.library)
    message.proto_package = package
    for service in runtime.services:
        for spec in sorted(service.modules, key=lambda m: m.id):
            module = message.modules.add()
            module.module_id = spec.id
            module.name = spec.name
            module.version = spec.version
            module.task = spec.task.name
            module.train_rpc = spec.training.rpc_name if spec.training else ""
    return message
