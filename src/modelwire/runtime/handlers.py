"""gRPC method handlers built once per RPC from the build's ``MethodInfo``.

Everything a call needs (message classes, codecs, the task's output class)
is bound here, so serving a request is: read the model id, look the model
up, decode, run, encode.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from modelwire.core.build import Built, MethodInfo
from modelwire.runtime.model_store import LoadedModel, ModelStore
from modelwire.runtime.status import Failure, failure_for

logger = logging.getLogger(__name__)
MODEL_ID_HEADER = "mm-model-id"
Handler = Callable[[bytes, grpc.ServicerContext], bytes]


class MethodRunner:
    """Serves one RPC: bytes in, bytes out, failures as ``Failure``."""

    def __init__(self, method: MethodInfo, built: Built, store: ModelStore) -> None:
        self.method = method
        self.name = method.name
        self.store = store
        self.request_class = built.message_classes[method.request_type]
        self.decode = method.request_codec.decode_message
        self.output = method.task.output
        self.output_class = built.message_classes[self.output.__mw_spec__.full_name]
        self.encode = self.output.__mw_codec__.encode_into

    def model(self, model_id: str | None) -> LoadedModel:
        if not model_id:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{self.name} needs the {MODEL_ID_HEADER} metadata header naming "
                "the model to use",
            )
        model = self.store.get(model_id)
        if model is None:
            raise Failure(
                grpc.StatusCode.NOT_FOUND, f"model {model_id!r} is not loaded"
            )
        if model.module.task is not self.method.task:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"model {model_id!r} serves {model.module.task.name}, not {self.name}",
            )
        return model

    def kwargs(self, data: bytes, model: LoadedModel) -> dict[str, Any]:
        request = self.request_class()
        try:
            request.ParseFromString(data)
        except DecodeError as exc:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"the request is not a valid message: {exc}",
            ) from None
        kwargs = self.decode(request)
        refused = (kwargs.keys() & self.method.param_names) - model.accepted
        if refused:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"model {model.model_id!r} ({model.module.id}) does not take "
                f"{', '.join(sorted(refused))}; leave them unset for this model",
            )
        return kwargs

    def result_bytes(self, result: Any, model: LoadedModel) -> bytes:
        if type(result) is not self.output:
            raise TypeError(
                f"module {model.module.id} returned {type(result).__name__} from "
                f"run(), not {self.output.__name__}"
            )
        message = self.output_class()
        self.encode(message, result)
        return message.SerializeToString()

    def __call__(self, data: bytes, model_id: str | None) -> bytes:
        model = self.model(model_id)
        kwargs = self.kwargs(data, model)
        result = model.instance.run(**kwargs)
        try:
            return self.result_bytes(result, model)
        except (TypeError, ValueError) as exc:
            # The module broke its contract: that is a fault, not a bad request.
            raise RuntimeError(str(exc)) from exc


def unary_handler(runner: MethodRunner) -> grpc.RpcMethodHandler:
    method = runner.name

    def handle(data: bytes, context: grpc.ServicerContext) -> bytes:
        model_id = _model_id(context)
        started = time.perf_counter()
        try:
            return runner(data, model_id)
        # BaseException too: a module calling sys.exit() must fail one call, not
        # leave it hanging or take a worker thread down.
        except BaseException as exc:
            failure = failure_for(exc, method, model_id or "")
            logger.info(
                "%s model=%s status=%s %.1f ms",
                method,
                model_id,
                failure.code.name,
                (time.perf_counter() - started) * 1000,
            )
            context.abort(failure.code, failure.message)

    return grpc.unary_unary_rpc_method_handler(handle)


def _model_id(context: grpc.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata():
        if key == MODEL_ID_HEADER:
            return value if isinstance(value, str) else None
    return None
