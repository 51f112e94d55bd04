"""The HTTP/JSON gateway: the same operations as gRPC, on Starlette and uvicorn.

Routes come from the same ``MethodRunner`` objects as the gRPC handlers, so
both protocols always offer the same operations with the same error table.
JSON bodies use protobuf's own proto3 JSON parser and printer, so a response
read over HTTP equals the gRPC response converted to JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import grpc
import uvicorn
from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from modelwire.core.library import library_version
from modelwire.core.openapi import MODEL_ID_HEADER, http_path, openapi_document
from modelwire.runtime.handlers import MethodRunner
from modelwire.runtime.ops.limits import request_too_large, response_too_large
from modelwire.runtime.ops.logs import failed_call
from modelwire.runtime.server import RuntimeExtension, UnaryMethod
from modelwire.runtime.status import HTTP_STATUS, Failure, failure_for

if TYPE_CHECKING:
    from modelwire.runtime.ops.calls import Call, CallObserver, MethodObserver
    from modelwire.runtime.ops.tls import TlsSettings
    from modelwire.runtime.server import Runtime

logger = logging.getLogger(__name__)
#: Optional request header: seconds the caller is willing to wait.
TIMEOUT_HEADER = "request-timeout"
JSON_TYPE = "application/json"
#: fewest threads running module calls: as many as anyio's default pool, which
#: ran them before the gateway had its own
CALL_THREADS = 40


class HttpGateway(RuntimeExtension):
    """Serves the runtime's methods over HTTP on their own port.

    The message size limit and TLS are the gRPC port's (``ServerSettings``);
    ``observer`` adds the concurrency limit, default deadline, metrics and
    tracing that gRPC calls get.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        observer: CallObserver | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.observer = observer
        self._tls: TlsSettings | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._runtime: Runtime | None = None
        self._calls: CallThreads | None = None
        self.app: Starlette | None = None

    def install(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._tls = runtime.settings.tls

    def start(self) -> None:
        # Built now, so that methods other extensions installed are served too.
        assert self._runtime is not None
        threads = max(CALL_THREADS, self._runtime.serving_threads)
        self._calls = CallThreads(threads)
        self.app = build_app(self._runtime, self._calls, self.observer)
        tls = self._tls.uvicorn_options() if self._tls is not None else {}
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level="warning",
            # No handlers of its own: its records reach ours (JSON lines too).
            log_config=None,
            lifespan="off",
            **tls,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(
                    f"the HTTP gateway could not listen on {self.host}:{self.port}"
                )
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        logger.info("HTTP/JSON gateway listening on %s", self.url)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._calls is not None:
            self._calls.close()

    @property
    def url(self) -> str:
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"


class CallThreads:
    """Runs module calls off the event loop, on threads of the gateway's own.

    The event loop thread does every request's HTTP and JSON work, so its
    cost per call bounds the gateway: handing a call to a plain thread pool
    through ``run_in_executor`` costs it far less than anyio's ``to_thread``
    (a third more requests per second for the benchmarks' echo).
    """

    def __init__(self, threads: int = CALL_THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="http-call")

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        # Abandoned on cancel, so a deadline answers 504 at once; the module
        # call itself cannot be interrupted and finishes in the background.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, function, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def build_app(
    runtime: Runtime, calls: CallThreads, observer: CallObserver | None = None
) -> Starlette:
    limit = runtime.settings.max_message_bytes
    routes: list[Route] = []
    for service in runtime.services:
        package = service.library.proto_package
        for method in service.methods:
            runner = MethodRunner(method, runtime.built, runtime.store)
            observe = None
            if observer is not None:
                observe = observer.method("http", service.full_name, method.name)
            endpoint = _endpoint(runner, _Serving(limit, observe, calls))
            for with_model in (True, False):
                path = http_path(package, method.name, with_model=with_model)
                routes.append(Route(path, endpoint, methods=["POST"]))
    for method in runtime.unary_methods:
        path = http_path(method.package, method.name, with_model=False)
        endpoint = _unary_endpoint(method, limit)
        routes.append(Route(path, endpoint, methods=["POST"]))
    files = [
        f
        for s in runtime.services
        for f in runtime.built.files_for(s.library.py_package)
    ]
    version = library_version(runtime.library)
    document = openapi_document(_unique(files), runtime.library, version)
    routes.append(
        Route("/openapi.json", lambda _r: JSONResponse(document), methods=["GET"])
    )
    return Starlette(routes=routes, exception_handlers={404: _no_route, 405: _no_route})


async def _no_route(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if status == 405:
        code, message = grpc.StatusCode.UNIMPLEMENTED, "only POST is served here"
    else:
        code = grpc.StatusCode.NOT_FOUND
        message = f"no operation at {request.url.path}; see /openapi.json"
    return JSONResponse(_error_body(Failure(code, message)), status_code=status)


def _unique(files: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for proto_file in files:
        seen.setdefault(proto_file.path, proto_file)
    return list(seen.values())


@dataclass(frozen=True)
class _Serving:
    """What every HTTP call of one method shares."""

    max_bytes: int
    observe: MethodObserver | None
    calls: CallThreads

    @property
    def default_timeout(self) -> float | None:
        if self.observe is None:
            return None
        return self.observe.owner.limits.default_deadline or None


def _endpoint(runner: MethodRunner, serving: _Serving) -> Any:
    task = runner.task
    observe = serving.observe

    async def endpoint(request: Request) -> Response:
        model_id = request.path_params.get("model_id") or request.headers.get(
            MODEL_ID_HEADER
        )
        started = time.perf_counter()
        call = None
        try:
            if observe is not None:
                call = observe.begin(model_id, request.headers.items())
            timeout = _timeout(request) or serving.default_timeout
            body = await _read_body(request, serving.max_bytes)
            with _deadline(timeout):
                if task.output_stream:
                    response = await _stream_response(
                        runner, body, model_id, serving, call
                    )
                else:
                    response = await _unary_response(runner, body, model_id, serving)
        except BaseException as exc:
            if isinstance(exc, TimeoutError):
                exc = Failure(grpc.StatusCode.DEADLINE_EXCEEDED, "the deadline passed")
            elif not isinstance(exc, Exception):
                raise
            failure = failure_for(exc, runner.name, model_id or "")
            if observe is not None:
                if call is None:
                    observe.refused(model_id, failure)
                else:
                    observe.end(call, failure.code, failure.message)
            return _error_response(failure, runner.name, model_id, started)
        if observe is not None and call is not None and not task.output_stream:
            observe.end(call, grpc.StatusCode.OK)
        return response

    return endpoint


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise request_too_large(int(declared), limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise request_too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _unary_endpoint(method: UnaryMethod, max_bytes: int) -> Any:
    """A lifecycle call: JSON body in, JSON out, no model in the route."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            message = method.request_class()
            body = await _read_body(request, max_bytes)
            try:
                json_format.Parse(body or b"{}", message)
            except json_format.ParseError as exc:
                raise Failure(
                    grpc.StatusCode.INVALID_ARGUMENT, _parse_message(exc, message)
                ) from None
            reply = await run_in_threadpool(method.call, message)
            return Response(_to_json(reply), media_type=JSON_TYPE)
        except Exception as exc:
            failure = failure_for(exc, method.name, "")
            return _error_response(failure, method.name, None, started)

    return endpoint


async def _unary_response(
    runner: MethodRunner, body: bytes, model_id: str | None, serving: _Serving
) -> Response:
    run = serving.calls.run
    if runner.task.client_streaming:
        requests = _parse_many(runner, body)
        message = await run(runner.client_stream, iter(requests), model_id)
    else:
        message = await run(runner.unary, _parse_one(runner, body), model_id)
    text = _to_json(message).encode()
    if len(text) > serving.max_bytes:
        raise response_too_large(len(text), serving.max_bytes)
    return Response(text, media_type=JSON_TYPE)


async def _stream_response(
    runner: MethodRunner,
    body: bytes,
    model_id: str | None,
    serving: _Serving,
    call: Call | None,
) -> Response:
    run = serving.calls.run
    if runner.task.client_streaming:
        requests = _parse_many(runner, body)
        stream = await run(runner.bidi_stream, iter(requests), model_id)
    else:
        stream = await run(runner.server_stream, _parse_one(runner, body), model_id)
    # The first item is taken before answering, so a failure before anything
    # was produced still gets its own HTTP status instead of a 200 stream.
    first = await run(_next, stream)
    events = _events(first, stream, runner.name, model_id, serving, call)
    return StreamingResponse(events, media_type="text/event-stream")


_END = object()


def _deadline(timeout: float | None) -> AbstractContextManager[Any]:
    # A cancel scope costs the event loop about 8 µs per request; without a
    # deadline there is nothing for one to do.
    return anyio.fail_after(timeout) if timeout is not None else nullcontext()


def _next(stream: Iterator[Any]) -> Any:
    return next(stream, _END)


async def _events(
    first: Any,
    stream: Iterator[Any],
    method: str,
    model_id: str | None,
    serving: _Serving,
    call: Call | None,
) -> AsyncIterator[str]:
    code, message = grpc.StatusCode.OK, ""
    started = time.perf_counter()
    try:
        if first is not _END:
            yield _event(first, serving.max_bytes)
            async for item in iterate_in_threadpool(stream):
                yield _event(item, serving.max_bytes)
    except Exception as exc:
        failure = failure_for(exc, method, model_id or "")
        code, message = failure.code, failure.message
        seconds = time.perf_counter() - (call.started if call else started)
        failed_call(logger, "HTTP", method, model_id, code.name, seconds)
        yield f"event: error\ndata: {json.dumps(_error_body(failure), ensure_ascii=False)}\n\n"
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            await run_in_threadpool(close)
        if serving.observe is not None and call is not None:
            serving.observe.end(call, code, message)


def _event(message: Any, max_bytes: int) -> str:
    text = _to_json(message)
    size = len(text.encode())
    if size > max_bytes:
        raise response_too_large(size, max_bytes)
    return f"data: {text}\n\n"


def _parse_one(runner: MethodRunner, body: bytes) -> Any:
    request = runner.request_class()
    try:
        json_format.Parse(body or b"{}", request)
    except json_format.ParseError as exc:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT, _parse_message(exc, request)
        ) from None
    return request


def _parse_many(runner: MethodRunner, body: bytes) -> list[Any]:
    try:
        items = json.loads(body or b"[]")
    except ValueError as exc:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT, f"the body is not JSON: {exc}"
        ) from None
    if not isinstance(items, list):
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{runner.name} streams its requests: send a JSON array of request objects",
        )
    requests = []
    for index, item in enumerate(items):
        request = runner.request_class()
        try:
            json_format.ParseDict(item, request)
        except json_format.ParseError as exc:
            message = _parse_message(exc, request)
            raise Failure(
                grpc.StatusCode.INVALID_ARGUMENT, f"item {index}: {message}"
            ) from None
        requests.append(request)
    return requests


def _parse_message(exc: json_format.ParseError, request: Any) -> str:
    """protobuf's parse error, plus the allowed names when an enum value was wrong."""
    text = str(exc)
    if "enum" not in text.lower():
        return text
    for enum_type in _enum_types(request.DESCRIPTOR):
        if enum_type.full_name in text:
            names = ", ".join(v.name for v in enum_type.values)
            return f"{text} (allowed: {names})"
    return text


def _enum_types(descriptor: Any, seen: set[str] | None = None) -> Iterator[Any]:
    seen = set() if seen is None else seen
    if descriptor.full_name in seen:
        return
    seen.add(descriptor.full_name)
    for f in descriptor.fields:
        if f.enum_type is not None:
            yield f.enum_type
        if f.message_type is not None:
            yield from _enum_types(f.message_type, seen)


def _timeout(request: Request) -> float | None:
    raw = request.headers.get(TIMEOUT_HEADER)
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the {TIMEOUT_HEADER} header must be a positive number of seconds, not {raw!r}",
        )
    return seconds


def _to_json(message: Any) -> str:
    return json_format.MessageToJson(message, indent=None, ensure_ascii=False)


def _error_body(failure: Failure) -> dict[str, Any]:
    code = failure.code
    return {
        "error": {
            "code": code.value[0],
            "status": code.name,
            "message": failure.message,
        }
    }


def _error_response(
    failure: Failure, method: str, model_id: str | None, started: float
) -> Response:
    seconds = time.perf_counter() - started
    failed_call(logger, "HTTP", method, model_id, failure.code.name, seconds)
    status = failure.http_status or HTTP_STATUS.get(failure.code, 500)
    return JSONResponse(_error_body(failure), status_code=status)
