"""How failures become gRPC status codes: the runtime's error table.

Expected failures (a bad request, an unknown model) carry their status and
are logged as one info line. Anything else is a fault of the module: the
caller gets INTERNAL with a short message and the traceback is logged once.
"""

from __future__ import annotations

import logging

import grpc

from modelwire.core.errors import CallError

logger = logging.getLogger(__name__)

#: gRPC status -> HTTP status, for the gateway and the docs.
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 412,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
}


class Failure(Exception):
    """An expected failure of a call, with the status it maps to."""

    def __init__(
        self, code: grpc.StatusCode, message: str, http_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: the HTTP status when it is not the one ``HTTP_STATUS`` gives ``code``
        self.http_status = http_status


def failure_for(exc: BaseException, method: str, model_id: str) -> Failure:
    """The status for an exception raised while serving ``method``."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, CallError):
        code = getattr(grpc.StatusCode, exc.code, None)
        if isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK:
            return Failure(code, exc.message)
    elif isinstance(exc, ValueError | TypeError):
        return Failure(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    logger.error(
        "%s on model %s failed",
        method,
        model_id,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return Failure(
        grpc.StatusCode.INTERNAL,
        f"model {model_id!r} failed while running {method}: {type(exc).__name__}; "
        "the server log has the details",
    )
