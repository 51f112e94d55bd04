"""Per-call bookkeeping: concurrency limit, default deadline, response size,
metrics, tracing and the failure log line, in one wrapper per method.

``CallObserver.wrap_handler`` runs once per method before the port opens
and binds everything a call needs (labels, metric children, limits), so a
call pays for a few attribute reads, two clock reads and the increments.
The HTTP gateway uses the same ``MethodObserver`` objects, so both
protocols count, limit and trace alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc

from modelwire.runtime.handlers import MODEL_ID_HEADER
from modelwire.runtime.ops.limits import (
    ConcurrencyLimit,
    DeadlineWatcher,
    LimitSettings,
    response_too_large,
)
from modelwire.runtime.ops.logs import failed_call
from modelwire.runtime.server import RuntimeExtension
from modelwire.runtime.status import Failure

if TYPE_CHECKING:
    from modelwire.runtime.model_store import ModelStore
    from modelwire.runtime.ops.metrics import RuntimeMetrics
    from modelwire.runtime.ops.tracing import Tracer
    from modelwire.runtime.server import Runtime

logger = logging.getLogger(__name__)
OK = grpc.StatusCode.OK
#: metric label for a model id the runtime does not know (not a label per id:
#: callers choose ids, and each label value costs memory for good)
UNKNOWN_MODEL = "(unknown)"


class CallObserver(RuntimeExtension):
    """Wraps every served method; see the module docstring."""

    def __init__(
        self,
        limits: LimitSettings,
        metrics: RuntimeMetrics | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.limits = limits
        self.metrics = metrics
        self.tracer = tracer
        self.concurrency = ConcurrencyLimit(limits.max_concurrent_requests)
        self.deadlines: DeadlineWatcher | None = None
        self.store: ModelStore | None = None

    def install(self, runtime: Runtime) -> None:
        self.store = runtime.store
        if self.limits.default_deadline > 0:
            self.deadlines = DeadlineWatcher(self.limits.default_deadline)

    def stop(self) -> None:
        if self.deadlines is not None:
            self.deadlines.close()
        if self.tracer is not None:
            self.tracer.shutdown()

    def method(self, protocol: str, service: str, method: str) -> MethodObserver:
        return MethodObserver(self, protocol, service, method)

    def wrap_handler(
        self, service: str, method: str, handler: grpc.RpcMethodHandler
    ) -> grpc.RpcMethodHandler:
        observer = self.method("grpc", service, method)
        # Only raw handlers hand over bytes whose size can be checked here;
        # gRPC's own send limit still covers the others.
        check_size = handler.response_serializer is None
        limit = self.limits.max_message_bytes if check_size else 0
        options = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            behaviour = _single(observer, handler.unary_unary, limit)
            return grpc.unary_unary_rpc_method_handler(behaviour, **options)
        if handler.stream_unary is not None:
            behaviour = _single(observer, handler.stream_unary, limit)
            return grpc.stream_unary_rpc_method_handler(behaviour, **options)
        if handler.unary_stream is not None:
            behaviour = _streamed(observer, handler.unary_stream, limit)
            return grpc.unary_stream_rpc_method_handler(behaviour, **options)
        behaviour = _streamed(observer, handler.stream_stream, limit)
        return grpc.stream_stream_rpc_method_handler(behaviour, **options)


class Call:
    """One request in progress."""

    __slots__ = ("entry", "model_id", "span", "started")

    def __init__(self, model_id: str | None, span: Any, entry: Any) -> None:
        self.model_id = model_id
        self.span = span
        self.entry = entry
        self.started = time.perf_counter()


class MethodObserver:
    """What one method's calls record, bound once."""

    def __init__(
        self, owner: CallObserver, protocol: str, service: str, method: str
    ) -> None:
        self.owner = owner
        self.protocol = protocol
        self.service = service
        self.method = method
        self.max_bytes = owner.limits.max_message_bytes
        self._concurrency = owner.concurrency
        self._tracer = owner.tracer
        self._span_name = f"{service}/{method}"
        self._metrics = owner.metrics
        self._children: dict[tuple[str | None, grpc.StatusCode], tuple[Any, Any]] = {}
        self._in_flight = None
        if self._metrics is not None:
            self._in_flight = self._metrics.in_flight.labels(protocol, service, method)

    # ------------------------------------------------------------ any side

    def begin(self, model_id: str | None, headers: Any, context: Any = None) -> Call:
        """Counts the call in; raises ``Failure`` when over the concurrency limit."""
        if not self._concurrency.enter():
            raise self._concurrency.refusal()
        if self._in_flight is not None:
            self._in_flight.inc()
        span = None
        if self._tracer is not None:
            span = self._tracer.start(self._span_name, self._attributes(), headers)
        deadlines = self.owner.deadlines
        entry = None
        if deadlines is not None and context is not None:
            entry = deadlines.watch(context)
        return Call(model_id, span, entry)

    def end(self, call: Call, code: grpc.StatusCode, message: str = "") -> None:
        seconds = time.perf_counter() - call.started
        self._concurrency.leave()
        if call.entry is not None:
            call.entry.done = True
        if self._metrics is not None:
            self._in_flight.inc(-1)  # type: ignore[union-attr]
            counter, latency = self._children_for(call.model_id, code)
            counter.inc()
            latency.observe(seconds)
        if call.span is not None:
            self._tracer.finish(call.span, call.model_id, code, message)  # type: ignore[union-attr]

    def refused(self, model_id: str | None, failure: Failure) -> None:
        """Records a call refused before it began (concurrency limit)."""
        if self._metrics is not None:
            counter, latency = self._children_for(model_id, failure.code)
            counter.inc()
            latency.observe(0.0)

    # --------------------------------------------------------------- labels

    def _attributes(self) -> dict[str, str]:
        return {
            "rpc.system": "grpc",
            "rpc.service": self.service,
            "rpc.method": self.method,
            "modelwire.protocol": self.protocol,
        }

    def _children_for(
        self, model_id: str | None, code: grpc.StatusCode
    ) -> tuple[Any, Any]:
        found = self._children.get((model_id, code))
        if found is not None:
            return found
        label = self._model_label(model_id)
        assert self._metrics is not None
        labels = (self.protocol, self.service, self.method, label)
        found = (
            self._metrics.requests.labels(*labels, code.name),
            self._metrics.latency.labels(*labels),
        )
        if label == model_id or not model_id:
            self._children[(model_id, code)] = found
        return found

    def _model_label(self, model_id: str | None) -> str:
        if not model_id:
            return ""
        store = self.owner.store
        known = store is not None and store.record(model_id) is not None
        return model_id if known else UNKNOWN_MODEL


# ------------------------------------------------------------- gRPC side


def _single(
    observer: MethodObserver, behaviour: Callable[[Any, Any], Any], limit: int
) -> Callable[[Any, grpc.ServicerContext], Any]:
    """Wraps a handler with one response (unary or client streaming)."""

    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        call = _begin(observer, context)
        try:
            response = behaviour(request, context)
            if limit and len(response) > limit:
                _refuse(
                    observer, call, context, response_too_large(len(response), limit)
                )
        except BaseException:
            _end_failed(observer, call, context)
            raise
        _end(observer, call, context)
        return response

    return handle


def _streamed(
    observer: MethodObserver, behaviour: Callable[[Any, Any], Any], limit: int
) -> Callable[[Any, grpc.ServicerContext], Iterator[Any]]:
    """Wraps a handler that streams its responses."""

    def handle(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        call = _begin(observer, context)
        try:
            for response in behaviour(request, context):
                if limit and len(response) > limit:
                    failure = response_too_large(len(response), limit)
                    _refuse(observer, call, context, failure)
                yield response
        except GeneratorExit:
            observer.end(call, grpc.StatusCode.CANCELLED, "the caller went away")
            raise
        except BaseException:
            _end_failed(observer, call, context)
            raise
        _end(observer, call, context)

    return handle


def _begin(observer: MethodObserver, context: grpc.ServicerContext) -> Call:
    metadata = context.invocation_metadata()
    model_id = _model_id(metadata)
    try:
        return observer.begin(model_id, metadata, context)
    except Failure as failure:
        observer.refused(model_id, failure)
        failed_call(logger, "gRPC", observer.method, model_id, failure.code.name, 0.0)
        context.abort(failure.code, failure.message)
        raise  # abort raised already; this keeps type checkers informed


def _refuse(
    observer: MethodObserver,
    call: Call,
    context: grpc.ServicerContext,
    failure: Failure,
) -> None:
    seconds = time.perf_counter() - call.started
    name = failure.code.name
    failed_call(logger, "gRPC", observer.method, call.model_id, name, seconds)
    context.abort(failure.code, failure.message)


def _end(observer: MethodObserver, call: Call, context: grpc.ServicerContext) -> None:
    if call.entry is not None and call.entry.expired:
        _end_unlogged(observer, call, grpc.StatusCode.DEADLINE_EXCEEDED)
    elif not context.is_active():
        # The caller's deadline passed or it cancelled; the answer is dropped.
        code = grpc.StatusCode.CANCELLED
        if context.time_remaining() <= 0:
            code = grpc.StatusCode.DEADLINE_EXCEEDED
        _end_unlogged(observer, call, code)
    else:
        observer.end(call, OK)


def _end_failed(
    observer: MethodObserver, call: Call, context: grpc.ServicerContext
) -> None:
    code = context.code()
    if code is None:
        # Not aborted by the handler (which logs its own failures).
        expired = call.entry is not None and call.entry.expired
        code = grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.UNKNOWN
        _end_unlogged(observer, call, code)
        return
    details = context.details()
    message = details.decode("utf-8", "replace") if details else ""
    observer.end(call, code, message)


def _end_unlogged(observer: MethodObserver, call: Call, code: grpc.StatusCode) -> None:
    seconds = time.perf_counter() - call.started
    failed_call(logger, "gRPC", observer.method, call.model_id, code.name, seconds)
    observer.end(call, code, code.name)


def _model_id(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == MODEL_ID_HEADER:
            return value if isinstance(value, str) else None
    return None
