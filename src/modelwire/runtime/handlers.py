"""RPC handlers built once per method from the build's ``MethodInfo``.

Everything a call needs (message classes, codecs, the task's output class)
is bound here, so serving a request is: find the model, decode, run, encode.
``MethodRunner`` speaks messages and Python values, so the gRPC handlers in
this module and the HTTP gateway share one code path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from modelwire.core.build import Built, MethodInfo
from modelwire.runtime.model_store import LoadedModel, ModelStore
from modelwire.runtime.ops.logs import failed_call
from modelwire.runtime.status import Failure, failure_for

logger = logging.getLogger(__name__)
MODEL_ID_HEADER = "mm-model-id"
MODEL_ID_BIN_HEADER = "mm-model-id-bin"


class MethodRunner:
    """Serves one RPC in terms of protobuf messages; failures raise ``Failure``."""

    def __init__(self, method: MethodInfo, built: Built, store: ModelStore) -> None:
        self.method = method
        self.name = method.name
        self.task = method.task
        self.store = store
        self.request_class = built.message_classes[method.request_type]
        self.response_class = built.message_classes[method.response_type]
        self._decode = method.request_codec.decode_message
        self.output = method.task.output
        self._output_class = built.message_classes[self.output.__mw_spec__.full_name]
        self._encode = self.output.__mw_codec__.encode_into
        self.stream_input = method.task.stream_input

    # ------------------------------------------------------------- pieces

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
        if model.module.task is not self.task:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"model {model_id!r} serves {model.module.task.name}, not {self.name}",
            )
        return model

    def parse(self, data: bytes) -> Any:
        request = self.request_class()
        try:
            request.ParseFromString(data)
        except DecodeError as exc:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"the request is not a valid {self.method.request_type}: {exc}",
            ) from None
        return request

    def kwargs(self, request: Any, model: LoadedModel) -> dict[str, Any]:
        kwargs = self._decode(request)
        refused = (kwargs.keys() & self.method.param_names) - model.accepted
        if refused:
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"model {model.model_id!r} ({model.module.id}) does not take "
                f"{', '.join(sorted(refused))}; leave them unset for this model",
            )
        return kwargs

    def encode(self, result: Any, model: LoadedModel) -> Any:
        if type(result) is not self.output:
            # The module broke its contract: a fault, not a bad request.
            raise RuntimeError(
                f"module {model.module.id} produced {type(result).__name__}, "
                f"not {self.output.__name__}"
            )
        message = self._output_class()
        self._encode(message, result)
        return message

    # -------------------------------------------------------------- shapes

    def unary(self, request: Any, model_id: str | None) -> Any:
        model = self.model(model_id)
        kwargs = self.kwargs(request, model)
        return self.encode(model.executor.call(kwargs), model)

    def server_stream(self, request: Any, model_id: str | None) -> Iterator[Any]:
        model = self.model(model_id)
        kwargs = self.kwargs(request, model)
        return self._encode_stream(model.instance.run(**kwargs), model)

    def client_stream(self, requests: Iterator[Any], model_id: str | None) -> Any:
        model = self.model(model_id)
        kwargs = self._stream_kwargs(requests, model)
        return self.encode(model.instance.run(**kwargs), model)

    def bidi_stream(
        self, requests: Iterator[Any], model_id: str | None
    ) -> Iterator[Any]:
        model = self.model(model_id)
        kwargs = self._stream_kwargs(requests, model)
        return self._encode_stream(model.instance.run(**kwargs), model)

    def _encode_stream(
        self, results: Iterator[Any], model: LoadedModel
    ) -> Iterator[Any]:
        try:
            for result in results:
                yield self.encode(result, model)
        finally:
            # Runs the module generator's own ``finally`` now, also when the
            # caller went away in the middle of the stream.
            close = getattr(results, "close", None)
            if close is not None:
                close()

    def _stream_kwargs(
        self, requests: Iterator[Any], model: LoadedModel
    ) -> dict[str, Any]:
        """Call arguments from the first message, plus the stream of the streamed input.

        Only the streamed field may change after the first message; setting
        another field later is refused rather than silently ignored.
        """
        name = self.stream_input
        assert name is not None
        requests = iter(requests)
        first = next(requests, None)
        if first is None:
            kwargs = self.kwargs(self.request_class(), model)
            kwargs[name] = iter(())
            return kwargs
        kwargs = self.kwargs(first, model)
        fixed = {k: v for k, v in kwargs.items() if k != name}
        kwargs[name] = self._stream_items(first, requests, model, fixed)
        return kwargs

    def _stream_items(
        self, first: Any, rest: Iterator[Any], model: LoadedModel, fixed: dict[str, Any]
    ) -> Iterator[Any]:
        name = self.stream_input
        yield self._decode(first)[name]
        for request in rest:
            values = self.kwargs(request, model)
            changed = [k for k, v in values.items() if k != name and fixed.get(k) != v]
            if changed:
                raise Failure(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"{', '.join(sorted(changed))} may only be set in the first "
                    f"message of a {self.name} stream",
                )
            yield values[name]


# --------------------------------------------------------------- gRPC side


def grpc_handler(runner: MethodRunner) -> grpc.RpcMethodHandler:
    task = runner.task
    if task.unary:
        return grpc.unary_unary_rpc_method_handler(_unary(runner))
    if not task.client_streaming:
        return grpc.unary_stream_rpc_method_handler(_server_stream(runner))
    if not task.output_stream:
        return grpc.stream_unary_rpc_method_handler(_client_stream(runner))
    return grpc.stream_stream_rpc_method_handler(_bidi_stream(runner))


def _unary(runner: MethodRunner) -> Callable[[bytes, grpc.ServicerContext], bytes]:
    def handle(data: bytes, context: grpc.ServicerContext) -> bytes:
        model_id = model_id_of(context)
        started = time.perf_counter()
        try:
            return runner.unary(runner.parse(data), model_id).SerializeToString()
        # BaseException too: a module calling sys.exit() must fail one call, not
        # leave it hanging or take a worker thread down.
        except BaseException as exc:
            _abort(context, runner.name, model_id, exc, started)

    return handle


def _client_stream(runner: MethodRunner) -> Callable[[Iterator[bytes], Any], bytes]:
    def handle(requests: Iterator[bytes], context: grpc.ServicerContext) -> bytes:
        model_id = model_id_of(context)
        started = time.perf_counter()
        try:
            messages = (runner.parse(data) for data in requests)
            return runner.client_stream(messages, model_id).SerializeToString()
        except BaseException as exc:
            _abort(context, runner.name, model_id, exc, started)

    return handle


def _server_stream(runner: MethodRunner) -> Callable[[bytes, Any], Iterator[bytes]]:
    def handle(data: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        model_id = model_id_of(context)

        def open_stream() -> Iterator[Any]:
            return runner.server_stream(runner.parse(data), model_id)

        return _stream_out(open_stream, context, runner.name, model_id)

    return handle


def _bidi_stream(
    runner: MethodRunner,
) -> Callable[[Iterator[bytes], Any], Iterator[bytes]]:
    def handle(
        requests: Iterator[bytes], context: grpc.ServicerContext
    ) -> Iterator[bytes]:
        model_id = model_id_of(context)

        def open_stream() -> Iterator[Any]:
            messages = (runner.parse(data) for data in requests)
            return runner.bidi_stream(messages, model_id)

        return _stream_out(open_stream, context, runner.name, model_id)

    return handle


def _stream_out(
    open_stream: Callable[[], Iterator[Any]],
    context: grpc.ServicerContext,
    method: str,
    model_id: str | None,
) -> Iterator[bytes]:
    """Sends a stream; an error part way maps to the same status as a unary call."""
    started = time.perf_counter()
    stream: Iterator[Any] | None = None
    try:
        stream = open_stream()
        for message in stream:
            if not context.is_active():
                break
            yield message.SerializeToString()
    except GeneratorExit:
        raise
    except BaseException as exc:
        _abort(context, method, model_id, exc, started)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _abort(
    context: grpc.ServicerContext,
    method: str,
    model_id: str | None,
    exc: BaseException,
    started: float,
) -> None:
    failure = failure_for(exc, method, model_id or "")
    seconds = time.perf_counter() - started
    failed_call(logger, "gRPC", method, model_id, failure.code.name, seconds)
    context.abort(failure.code, failure.message)


def model_id_of(context: grpc.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata():
        if key == MODEL_ID_HEADER:
            return value if isinstance(value, str) else None
        # ModelMesh sends ids that are not plain ASCII in the binary header.
        if key == MODEL_ID_BIN_HEADER and isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
    return None
