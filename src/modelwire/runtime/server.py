"""The gRPC server: the library's services, backed by the models in a folder."""

from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import grpc

from modelwire.core.build import Built, ServiceInfo
from modelwire.core.library import import_library
from modelwire.core.registry import REGISTRY
from modelwire.runtime.handlers import MethodRunner, unary_handler
from modelwire.runtime.model_store import ModelStore

logger = logging.getLogger(__name__)
DEFAULT_PORT = 8085


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 8
    #: seconds that in-flight calls get to finish on shutdown
    grace: float = 10.0


class Runtime:
    """A running server; ``stop()`` drains in-flight calls."""

    def __init__(
        self, library: str, built: Built, store: ModelStore, settings: ServerSettings
    ) -> None:
        self.library = library
        self.store = store
        self.settings = settings
        self.services = [
            s for s in built.services.values() if s.library.py_package == library
        ]
        if not self.services:
            raise ValueError(
                f"library {library!r} registers no @module, so there is nothing to serve"
            )
        self._server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=settings.workers, thread_name_prefix="rpc"
            )
        )
        for service in self.services:
            _add_service(self._server, service, built, store)
        self.port = self._server.add_insecure_port(f"{settings.host}:{settings.port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {settings.host}:{settings.port}")
        self._stopped = threading.Event()

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.port}"

    def start(self) -> Runtime:
        self._server.start()
        names = ", ".join(s.full_name for s in self.services)
        logger.info(
            "serving %s on %s (models: %s)", names, self.address, self.store.ids()
        )
        return self

    def stop(self, grace: float | None = None) -> None:
        """Refuses new calls and waits up to ``grace`` seconds for running ones."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._server.stop(self.settings.grace if grace is None else grace).wait()
        logger.info("server on %s stopped", self.address)

    def wait(self) -> None:
        self._server.wait_for_termination()

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(grace=0)


def _add_service(
    server: grpc.Server, service: ServiceInfo, built: Built, store: ModelStore
) -> None:
    handlers = {
        method.name: unary_handler(MethodRunner(method, built, store))
        for method in service.methods
    }
    server.add_registered_method_handlers(service.full_name, handlers)


def create_runtime(
    library: str,
    models_dir: Path | None,
    settings: ServerSettings | None = None,
    app_dir: Path | None = None,
) -> Runtime:
    """Imports ``library``, builds its services and loads the models in ``models_dir``."""
    info = import_library(library, app_dir)
    built = REGISTRY.build()
    store = ModelStore(
        REGISTRY,
        {m.id for s in built.services.values() if s.library == info for m in s.modules},
    )
    if models_dir is not None:
        store.load_directory(Path(models_dir))
    return Runtime(info.py_package, built, store, settings or ServerSettings())


def serve_forever(runtime: Runtime) -> None:
    """Runs until SIGTERM or SIGINT, then drains in-flight calls and returns."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, draining", signal.Signals(signum).name)
        threading.Thread(target=runtime.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runtime.start()
    runtime.wait()
