"""Request limits: message size, concurrent requests, and a default deadline.

The message size limit is enforced by gRPC itself on the receiving side (it
refuses before reading the message) and checked here on the sending side,
so that the refusal is the runtime's own RESOURCE_EXHAUSTED, counted and
logged like any other failure. The HTTP gateway checks both directions.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from modelwire.runtime.status import Failure

logger = logging.getLogger(__name__)
SIZE_SETTING = "limits.max_message_bytes"
CONCURRENCY_SETTING = "limits.max_concurrent_requests"
DEADLINE_SETTING = "limits.default_deadline_s"
#: grpcio reports "no deadline" as a time remaining of about 2**63 seconds
_NO_DEADLINE = 1e12


@dataclass(frozen=True)
class LimitSettings:
    max_message_bytes: int
    #: 0: no limit beyond the worker threads
    max_concurrent_requests: int = 0
    #: seconds a call without a deadline may take; 0: no default deadline
    default_deadline: float = 0.0


def request_too_large(size: int, limit: int) -> Failure:
    return Failure(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"the request is {size} bytes, over the limit of {limit} bytes "
        f"({SIZE_SETTING}); send less, or raise the limit",
        http_status=413,
    )


def response_too_large(size: int, limit: int) -> Failure:
    # A 5xx over HTTP: the caller did nothing wrong, the server's limit is low.
    return Failure(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"the response is {size} bytes, over the limit of {limit} bytes "
        f"({SIZE_SETTING}); ask for less, or raise the limit on the server",
        http_status=500,
    )


class ConcurrencyLimit:
    """Counts requests in progress and refuses those over ``limit`` (0: none)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        if not self.limit:
            return True
        with self._lock:
            if self.active >= self.limit:
                return False
            self.active += 1
            return True

    def leave(self) -> None:
        if not self.limit:
            return
        with self._lock:
            self.active -= 1

    def refusal(self) -> Failure:
        return Failure(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            f"the server is serving its limit of {self.limit} concurrent requests "
            f"({CONCURRENCY_SETTING}); retry later",
        )


@dataclass(order=True)
class _Entry:
    deadline: float
    order: int
    context: Any = field(compare=False)
    done: bool = field(default=False, compare=False)
    expired: bool = field(default=False, compare=False)


class DeadlineWatcher:
    """Ends gRPC calls that set no deadline once ``seconds`` have passed.

    One thread and a heap serve every call, instead of a timer per call.
    A call past its time is cancelled with DEADLINE_EXCEEDED, as if the
    caller had set that deadline, so handlers see the same inactive context
    (streams stop, the module's generator is closed).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._heap: list[_Entry] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
        self._thread.start()

    def watch(self, context: grpc.ServicerContext) -> _Entry | None:
        """Starts watching a call without a deadline; None for calls that have one."""
        if context.time_remaining() < _NO_DEADLINE:
            return None
        entry = _Entry(time.monotonic() + self.seconds, next(self._order), context)
        with self._wake:
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:
                self._wake.notify()
        return entry

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with self._wake:
            while not self._closed:
                now = time.monotonic()
                while self._heap and (
                    self._heap[0].done or self._heap[0].deadline <= now
                ):
                    entry = heapq.heappop(self._heap)
                    if not entry.done:
                        entry.expired = True
                        _cancel(entry.context, self.seconds)
                timeout = self._heap[0].deadline - now if self._heap else None
                self._wake.wait(timeout)


def _cancel(context: Any, seconds: float) -> None:
    message = (
        f"the call set no deadline and ran past the server's default of "
        f"{seconds:g} s ({DEADLINE_SETTING}); set a deadline to wait longer"
    )
    # grpcio's public cancel() ends a call as CANCELLED; its call object can
    # end it with the status a passed deadline gives, which clients expect.
    call = getattr(getattr(context, "_rpc_event", None), "call", None)
    try:
        from grpc._cython import cygrpc

        call.cancel(cygrpc.StatusCode.deadline_exceeded, message)
    except Exception:
        logger.debug("cancelling with a status failed; cancelling plainly")
        context.cancel()
