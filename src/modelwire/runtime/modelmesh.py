"""KServe ModelMesh's model-runtime API, served beside the library's services.

ModelMesh places models on pods itself: it asks each pod's runtime to load a
model from a folder its storage helper filled, to report the model's size,
and to unload it again, over the ``mmesh.ModelRuntime`` service
(``mmesh/model_runtime.proto`` beside this module). Inference calls then
reach the library's own services with the model id in ``mm-model-id``, as
they already do. The ``.proto`` file is compiled when first needed, into a
private pool like the library's own types, so nothing is generated ahead.

Sizes are bytes on disk: for weights-dominated models that is close to their
memory use, it needs no module cooperation, and it is cheap enough that
``predictModelSize`` may compute it on the spot.
"""

from __future__ import annotations

import functools
import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_tools import protoc

from modelwire import __version__
from modelwire.core.model_dir import CONFIG_FILE, ModelConfigError, read_config
from modelwire.runtime.model_store import (
    LoadedModel,
    ModelStore,
    check_model_id,
    folder_size,
)
from modelwire.runtime.server import Runtime, RuntimeExtension
from modelwire.runtime.status import Failure

logger = logging.getLogger(__name__)

SERVICE = "mmesh.ModelRuntime"
PROTO_ROOT = Path(__file__).parent
PROTO_FILE = "mmesh/model_runtime.proto"
GIB = 1 << 30


@dataclass(frozen=True)
class ModelMeshSettings:
    """What the runtime tells ModelMesh to plan with (``runtimeStatus``)."""

    #: memory offered for models; keep it below the container's memory limit
    capacity_bytes: int = 2 * GIB
    #: size assumed for a model before anything is known about it
    default_model_size_bytes: int = 64 << 20
    max_loading_concurrency: int = 2
    loading_timeout_ms: int = 90_000
    #: folder that a relative ``modelPath`` is taken from (``--models``)
    models_root: Path | None = None


@functools.cache
def messages() -> dict[str, Any]:
    """Message classes of ``model_runtime.proto``, by short name."""
    with tempfile.TemporaryDirectory(prefix="modelwire-mmesh-") as tmp:
        out = Path(tmp) / "model_runtime.pb"
        args = [
            "protoc",
            f"-I{PROTO_ROOT}",
            f"--descriptor_set_out={out}",
            PROTO_FILE,
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc could not compile {PROTO_ROOT / PROTO_FILE}")
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    names = [m.name for m in files.file[0].message_type]
    return {
        name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"mmesh.{name}")
        )
        for name in names
    }


class ModelMeshApi(RuntimeExtension):
    """Serves ``mmesh.ModelRuntime`` on the runtime's gRPC port."""

    def __init__(self, settings: ModelMeshSettings | None = None) -> None:
        self.settings = settings or ModelMeshSettings()
        self.messages = messages()
        self._ready = threading.Event()
        #: models that ModelMesh loaded, purged when it asks for the status
        self._placed: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._store: ModelStore | None = None
        self._method_names: list[str] = []

    # ------------------------------------------------------------ extension

    def install(self, runtime: Runtime) -> None:
        self._store = runtime.store
        self._method_names = [
            f"{service.full_name}/{method.name}"
            for service in runtime.services
            for method in service.methods
        ]
        rpcs: dict[str, tuple[Callable[[Any], Any], str]] = {
            "loadModel": (self.load_model, "LoadModelRequest"),
            "unloadModel": (self.unload_model, "UnloadModelRequest"),
            "predictModelSize": (self.predict_model_size, "PredictModelSizeRequest"),
            "modelSize": (self.model_size, "ModelSizeRequest"),
            "runtimeStatus": (self.runtime_status, "RuntimeStatusRequest"),
        }
        handlers = {
            name: _handler(name, call, self.messages[request])
            for name, (call, request) in rpcs.items()
        }
        runtime.add_service(SERVICE, handlers)

    def start(self) -> None:
        self._ready.set()

    def stop(self) -> None:
        self._ready.clear()

    # ----------------------------------------------------------------- RPCs

    def load_model(self, request: Any) -> Any:
        """Loads ``modelPath`` as ``modelId``; ModelMesh unloads it on failure."""
        model_id = _model_id(request.modelId)
        folder = self._model_folder(request.modelPath)
        self._check_model_folder(folder)
        with self._lock(model_id):
            try:
                model = self.store.load(model_id, folder)
            # BaseException too, as for task calls: a module fault fails one call.
            except BaseException as exc:
                logger.exception("loadModel %s from %s failed", model_id, folder)
                raise Failure(
                    grpc.StatusCode.INTERNAL,
                    f"model {model_id!r} failed to load from {folder}: "
                    f"{type(exc).__name__}: {exc}",
                ) from None
            self._placed.add(model_id)
        return self.messages["LoadModelResponse"](
            sizeInBytes=_size_of(model),
            maxConcurrency=getattr(model.instance, "concurrency", None) or 0,
        )

    def unload_model(self, request: Any) -> Any:
        """Drops ``modelId``; calls already running on it finish first."""
        model_id = request.modelId
        # The lock makes an unload that follows a cancelled load wait for it,
        # so the model cannot be installed after ModelMesh thinks it is gone.
        with self._lock(model_id):
            self.store.unload(model_id)
            self._placed.discard(model_id)
        return self.messages["UnloadModelResponse"]()

    def predict_model_size(self, request: Any) -> Any:
        """The size on disk that ModelMesh knows, or measures, or the default."""
        size = _disk_size_from_key(request.modelKey)
        if size is None:
            try:
                folder = self._model_folder(request.modelPath)
            except Failure:
                folder = None
            if folder is not None and folder.is_dir():
                size = folder_size(folder)
        size = size or self.settings.default_model_size_bytes
        return self.messages["PredictModelSizeResponse"](sizeInBytes=size)

    def model_size(self, request: Any) -> Any:
        model = self.store.get(request.modelId)
        if model is None:
            raise Failure(
                grpc.StatusCode.NOT_FOUND, f"model {request.modelId!r} is not loaded"
            )
        size = _size_of(model) or self.settings.default_model_size_bytes
        return self.messages["ModelSizeResponse"](sizeInBytes=size)

    def runtime_status(self, _request: Any) -> Any:
        """READY once serving, after dropping what an earlier ModelMesh placed.

        ModelMesh asks for the status when it (re)starts; models it placed
        before that are unknown to it now, so they are unloaded.
        """
        response_class = self.messages["RuntimeStatusResponse"]
        if not self._ready.is_set():
            return response_class(status=response_class.STARTING)
        for model_id in sorted(self._placed):
            with self._lock(model_id):
                self.store.unload(model_id)
                self._placed.discard(model_id)
        settings = self.settings
        response = response_class(
            status=response_class.READY,
            capacityInBytes=settings.capacity_bytes,
            maxLoadingConcurrency=settings.max_loading_concurrency,
            modelLoadingTimeoutMs=settings.loading_timeout_ms,
            defaultModelSizeInBytes=settings.default_model_size_bytes,
            runtimeVersion=__version__,
        )
        # Listing the task RPCs makes ModelMesh forward only those.
        for name in self._method_names:
            response.methodInfos[name].SetInParent()
        return response

    # -------------------------------------------------------------- helpers

    @property
    def store(self) -> ModelStore:
        if self._store is None:
            raise RuntimeError("ModelMeshApi is used before Runtime installed it")
        return self._store

    def _lock(self, model_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(model_id, threading.Lock())

    def _model_folder(self, model_path: str) -> Path:
        if not model_path:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                "modelPath is empty: it must name the model's folder",
            )
        path = Path(model_path)
        if path.is_absolute():
            return path
        root = self.settings.models_root
        if root is None:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"modelPath {model_path!r} is relative and the runtime has no "
                "--models folder to take it from; pass an absolute path",
            )
        resolved = (root / path).resolve()
        if not resolved.is_relative_to(root.resolve()):
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"modelPath {model_path!r} leaves the models folder {root}",
            )
        return resolved

    def _check_model_folder(self, folder: Path) -> None:
        """Refuses, before any load starts, a folder that cannot be a model.

        FAILED_PRECONDITION tells ModelMesh that no memory was taken.
        """
        if not folder.is_dir():
            raise Failure(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"modelPath {str(folder)!r} is not a folder on the runtime's "
                "file system",
            )
        try:
            config = read_config(folder)
        except ModelConfigError as exc:
            raise Failure(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"{exc}; the model's storage path must point at a folder written "
                f"by modelwire.save_model (with its {CONFIG_FILE})",
            ) from None
        try:
            self.store.check_module(config.module_id)
        except (KeyError, ValueError) as exc:
            reason = exc.args[0] if exc.args else str(exc)
            raise Failure(grpc.StatusCode.FAILED_PRECONDITION, str(reason)) from None


def _handler(
    name: str, call: Callable[[Any], Any], request_class: Any
) -> grpc.RpcMethodHandler:
    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return call(request)
        except Failure as failure:
            logger.info("%s status=%s: %s", name, failure.code.name, failure.message)
            context.abort(failure.code, failure.message)
        except BaseException:
            logger.exception("%s failed", name)
            context.abort(
                grpc.StatusCode.INTERNAL,
                f"{name} failed: the server log has the details",
            )

    return grpc.unary_unary_rpc_method_handler(
        handle,
        request_deserializer=request_class.FromString,
        response_serializer=lambda message: message.SerializeToString(),
    )


def _model_id(model_id: str) -> str:
    try:
        check_model_id(model_id)
    except ValueError as exc:
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from None
    return model_id


def _size_of(model: LoadedModel) -> int:
    # Models added in memory (tests, embedding) have no folder to measure.
    return folder_size(model.path) if model.path != Path() else 0


def _disk_size_from_key(model_key: str) -> int | None:
    """``disk_size_bytes`` from ModelMesh's JSON model key, when it has one."""
    try:
        size = json.loads(model_key).get("disk_size_bytes") if model_key else None
    except (ValueError, AttributeError):
        return None
    return size if isinstance(size, int) and size > 0 else None
