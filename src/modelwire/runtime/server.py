"""The gRPC server: the library's services, backed by the models in a folder."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf.message import DecodeError

from modelwire.core.build import Built, ServiceInfo
from modelwire.core.library import import_library
from modelwire.core.registry import REGISTRY
from modelwire.runtime.executors import BatchSettings, waiting_threads
from modelwire.runtime.handlers import MethodRunner, grpc_handler
from modelwire.runtime.model_store import ModelStore
from modelwire.runtime.ops.tls import TlsSettings
from modelwire.runtime.status import Failure, failure_for

if TYPE_CHECKING:
    from modelwire.runtime.lifecycle import LifecycleSettings

logger = logging.getLogger(__name__)
DEFAULT_PORT = 8085
#: gRPC's own default receive limit
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 8
    #: seconds that in-flight calls get to finish on shutdown
    grace: float = 10.0
    batching: BatchSettings = field(default_factory=BatchSettings)
    #: seconds between reporting NOT_SERVING and refusing new calls on shutdown,
    #: so that load balancers stop sending before the port closes
    drain_delay: float = 0.0
    #: largest message received or sent, in bytes (gRPC and HTTP)
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    #: serve TLS (and mTLS when it names a client CA) instead of plaintext
    tls: TlsSettings | None = None

    def serving_threads(self, batches: bool) -> int:
        """A serving pool's size: ``workers``, plus room for calls awaiting a batch.

        ``batches``: whether any module served may batch. Without one the
        pool stays at ``workers``: more threads serving plain calls at once
        only contend for the interpreter.
        """
        return self.workers + (waiting_threads(self.batching) if batches else 0)

    def grpc_options(self) -> list[tuple[str, int]]:
        return [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
        ]


@dataclass(frozen=True)
class UnaryMethod:
    """A unary RPC served beside the library's tasks, such as a lifecycle call.

    ``call`` takes the parsed request message and returns the response
    message, raising ``status.Failure`` for expected errors; gRPC and the
    HTTP gateway both serve it through this one function.
    """

    package: str
    service: str  # full name
    name: str
    request_class: Any
    call: Callable[[Any], Any]


class RuntimeExtension:
    """Something served beside the library's services (a management service...).

    ``install`` runs before the port opens and may call ``runtime.add_service``;
    ``start`` and ``stop`` follow the server's own; ``ready`` runs once the
    models found at start are loaded, ``draining`` when shutdown begins.
    """

    def install(self, runtime: Runtime) -> None:
        """Registers services or state on ``runtime``."""

    def wrap_handler(
        self, service: str, method: str, handler: grpc.RpcMethodHandler
    ) -> grpc.RpcMethodHandler:
        """The handler to serve for ``service/method``; called once per method.

        Runs after every extension installed, before the port opens, for the
        services added with ``add_service``; per-call work (metrics, limits)
        goes here so that nothing is looked up per call.
        """
        return handler

    def start(self) -> None:
        """Runs after the server started."""

    def ready(self) -> None:
        """Runs once the models found at start are loaded."""

    def draining(self) -> None:
        """Runs when shutdown begins, while calls are still accepted."""

    def stop(self) -> None:
        """Runs after the server stopped (in-flight calls have drained)."""


class Runtime:
    """A running server; ``stop()`` drains in-flight calls."""

    def __init__(
        self,
        library: str,
        built: Built,
        store: ModelStore,
        settings: ServerSettings,
        extensions: Sequence[RuntimeExtension] = (),
        startup_models: Path | None = None,
    ) -> None:
        self.library = library
        self.built = built
        self.store = store
        self.settings = settings
        self.extensions = list(extensions)
        self.services = [
            s for s in built.services.values() if s.library.py_package == library
        ]
        if not self.services:
            raise ValueError(
                f"library {library!r} registers no @module, so there is nothing to serve"
            )
        self.startup_models = startup_models
        batches = any(m.batchable for s in self.services for m in s.modules)
        self.serving_threads = settings.serving_threads(batches)
        self.server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=self.serving_threads, thread_name_prefix="rpc"
            ),
            options=settings.grpc_options(),
        )
        self.service_names = [s.full_name for s in self.services]
        self.unary_methods: list[UnaryMethod] = []
        self._handlers: dict[str, dict[str, Any]] | None = {}
        for service in self.services:
            self.add_service(service.full_name, _handlers(service, built, store))
        for extension in self.extensions:
            extension.install(self)
        self._register_handlers()
        self.port = self._open_port()
        self._stopped = threading.Event()
        self._draining = False

    def add_service(self, full_name: str, handlers: dict[str, Any]) -> None:
        """Serves ``handlers`` (method name -> grpc handler) as ``full_name``."""
        if self._handlers is None:
            raise RuntimeError(
                f"cannot add {full_name}: services are added before the port opens "
                "(from RuntimeExtension.install)"
            )
        self._handlers.setdefault(full_name, {}).update(handlers)
        if full_name not in self.service_names:
            self.service_names.append(full_name)

    def _register_handlers(self) -> None:
        assert self._handlers is not None
        for full_name, handlers in self._handlers.items():
            wrapped = {
                name: self._wrap(full_name, name, handler)
                for name, handler in handlers.items()
            }
            self.server.add_registered_method_handlers(full_name, wrapped)
        self._handlers = None

    def _wrap(self, service: str, method: str, handler: Any) -> Any:
        for extension in self.extensions:
            handler = extension.wrap_handler(service, method, handler)
        return handler

    def _open_port(self) -> int:
        address = f"{self.settings.host}:{self.settings.port}"
        tls = self.settings.tls
        if tls is None:
            port = self.server.add_insecure_port(address)
        else:
            port = self.server.add_secure_port(address, tls.server_credentials())
        if port == 0:
            raise OSError(f"cannot listen on {address}")
        return port

    def add_unary_methods(self, methods: Sequence[UnaryMethod]) -> None:
        """Serves ``methods`` over gRPC, and over HTTP when the gateway runs."""
        by_service: dict[str, dict[str, Any]] = {}
        for method in methods:
            handler = _unary_method_handler(method)
            by_service.setdefault(method.service, {})[method.name] = handler
        for service, handlers in by_service.items():
            self.add_service(service, handlers)
        self.unary_methods.extend(methods)

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.port}"

    def start(self) -> Runtime:
        """Opens the port, then loads the models found at start; then it is ready."""
        self.server.start()
        for extension in self.extensions:
            extension.start()
        if self.startup_models is not None:
            self.store.sync()
        for extension in self.extensions:
            extension.ready()
        names = ", ".join(s.full_name for s in self.services)
        logger.info(
            "serving %s on %s (models: %s)", names, self.address, self.store.ids()
        )
        return self

    def stop(self, grace: float | None = None) -> None:
        """Refuses new calls and waits up to ``grace`` seconds for running ones.

        Without ``grace`` (a graceful shutdown) the extensions are told first
        and calls are still accepted for ``settings.drain_delay`` seconds.
        """
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.begin_draining()
        if grace is None and self.settings.drain_delay > 0:
            time.sleep(self.settings.drain_delay)
        self.server.stop(self.settings.grace if grace is None else grace).wait()
        for extension in reversed(self.extensions):
            extension.stop()
        self.store.close()
        logger.info("server on %s stopped", self.address)

    def begin_draining(self) -> None:
        """Tells the extensions that shutdown began (once)."""
        if self._draining:
            return
        self._draining = True
        for extension in self.extensions:
            extension.draining()

    def wait(self) -> None:
        self.server.wait_for_termination()

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(grace=0)


def _handlers(service: ServiceInfo, built: Built, store: ModelStore) -> dict[str, Any]:
    return {
        method.name: grpc_handler(MethodRunner(method, built, store))
        for method in service.methods
    }


def _unary_method_handler(method: UnaryMethod) -> grpc.RpcMethodHandler:
    def handle(data: bytes, context: grpc.ServicerContext) -> bytes:
        try:
            request = method.request_class()
            try:
                request.ParseFromString(data)
            except DecodeError as exc:
                raise Failure(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"the request is not a valid {method.name}Request: {exc}",
                ) from None
            return method.call(request).SerializeToString()
        # BaseException too, as for task calls: a fault fails one call only.
        except BaseException as exc:
            failure = failure_for(exc, method.name, "")
            logger.info("%s status=%s", method.name, failure.code.name)
            context.abort(failure.code, failure.message)

    return grpc.unary_unary_rpc_method_handler(handle)


def create_runtime(
    library: str,
    models_dir: Path | None,
    settings: ServerSettings | None = None,
    app_dir: Path | None = None,
    extensions: Sequence[RuntimeExtension] = (),
    lifecycle: LifecycleSettings | None = None,
) -> Runtime:
    """Imports ``library`` and builds its services; ``start()`` loads ``models_dir``.

    The lifecycle services (training, model management, info) are served
    whenever the library's schema has them.
    """
    from modelwire.runtime.lifecycle import LifecycleSettings, lifecycle_extensions

    settings = settings or ServerSettings()
    lifecycle = lifecycle or LifecycleSettings()
    info = import_library(library, app_dir)
    built = REGISTRY.build()
    modules = {
        m.id for s in built.services.values() if s.library == info for m in s.modules
    }
    store = ModelStore(REGISTRY, modules, settings.batching)
    startup = Path(models_dir) if models_dir is not None else None
    if startup is not None:
        store.attach(startup, lazy=lifecycle.lazy)
    own = [s.lifecycle for s in built.services_of(info.py_package) if s.lifecycle]
    served = lifecycle_extensions(
        own[0] if own else None, models_dir, lifecycle, app_dir
    )
    every = [*served, *extensions]
    return Runtime(info.py_package, built, store, settings, every, startup)


def serve_forever(runtime: Runtime) -> None:
    """Runs until SIGTERM or SIGINT, then drains in-flight calls and returns."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, draining", signal.Signals(signum).name)
        threading.Thread(target=runtime.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runtime.start()
    runtime.wait()
