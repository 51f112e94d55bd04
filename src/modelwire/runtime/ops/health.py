"""The standard ``grpc.health.v1`` service: one overall status ("") and one
per served service.

Everything reports NOT_SERVING from the moment the port opens until the
models found at start are loaded, and again from the moment shutdown begins,
so that a load balancer or a container health check stops sending calls
before the port closes.
"""

from __future__ import annotations

import logging
from concurrent import futures
from typing import TYPE_CHECKING

from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from modelwire.runtime.server import RuntimeExtension

if TYPE_CHECKING:
    from modelwire.runtime.server import Runtime

logger = logging.getLogger(__name__)
HEALTH_SERVICE = health.SERVICE_NAME
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class HealthExtension(RuntimeExtension):
    def __init__(self) -> None:
        # Watch streams are answered from this pool, not from the server's
        # workers, so a watching load balancer holds no worker thread.
        self._pool = futures.ThreadPoolExecutor(1, thread_name_prefix="health")
        self.servicer = health.HealthServicer(
            experimental_non_blocking=True, experimental_thread_pool=self._pool
        )
        self._runtime: Runtime | None = None

    def install(self, runtime: Runtime) -> None:
        self._runtime = runtime
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, runtime.server)
        self._set_all(NOT_SERVING)

    def start(self) -> None:
        # Again, now that every extension has added its services.
        self._set_all(NOT_SERVING)

    def ready(self) -> None:
        self._set_all(SERVING)
        logger.info("health: SERVING")

    def draining(self) -> None:
        # Sets everything to NOT_SERVING and ignores later changes.
        self.servicer.enter_graceful_shutdown()
        logger.info("health: NOT_SERVING (draining)")

    def stop(self) -> None:
        self._pool.shutdown(wait=False)

    def _set_all(self, status: int) -> None:
        assert self._runtime is not None
        for name in ["", *self._runtime.service_names]:
            self.servicer.set(name, status)
