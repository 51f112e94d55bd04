"""How a model's ``run`` is called: directly, or gathered into batches.

``DirectExecutor`` calls ``run`` in the caller's thread, or, when the
module asks for a limit, on ``concurrency`` threads of its own (a torch
model that already uses every core gains nothing from more parallel calls
and loses to oversubscription). ``Batcher`` gathers concurrent unary calls for
one model into ``run_batch`` calls of up to ``max_size`` items, waiting at
most ``max_wait`` seconds after the first one arrives; it runs up to
``concurrency`` batches at once (one by default), so that a module whose
calls each use part of the cores can keep all of them busy.

Every call waiting to join a batch holds a serving thread (grpcio's
synchronous server and the gateway's call pool both block one per call),
so the serving pools grow by ``waiting_threads`` when batching is on: a pool
no larger than a batch would cap every batch at the pool's size.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import os
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchSettings:
    enabled: bool = True
    max_size: int = 32
    #: seconds to wait for more calls after the first one of a batch
    max_wait: float = 0.005


def waiting_threads(settings: BatchSettings) -> int:
    """Serving threads to add so that batches can fill: a batch per core.

    A module runs as many batches at once as its ``concurrency``, which
    sensible modules keep at or below the number of cores. Threads start
    only when that many calls are in flight, so the headroom costs nothing
    at rest.
    """
    if not settings.enabled:
        return 0
    return settings.max_size * (os.cpu_count() or 1)


class Executor(Protocol):
    def call(self, kwargs: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


class DirectExecutor:
    """Calls ``run`` in the caller's thread, or on ``concurrency`` lanes.

    With a limit, that many threads of the model's own (lanes) run the calls
    in arrival order, each in its caller's context. The same few threads
    keep torch's per-thread state and memory warm: the benchmark's
    classifier served about 15 % more calls this way than when every
    serving thread took its turn behind a semaphore.
    """

    def __init__(
        self, instance: Any, concurrency: int | None, name: str = "model"
    ) -> None:
        self._run = instance.run
        self._queue: queue.SimpleQueue[_Pending | None] | None = None
        self._threads: list[threading.Thread] = []
        self._closed = False
        # Makes "not closed, then queued" one step, so that no call is queued
        # behind the lanes' stop signals and left waiting forever.
        self._closing = threading.Lock()
        if concurrency:
            self._queue = queue.SimpleQueue()
            self._threads = [
                threading.Thread(target=self._loop, name=f"run-{name}-{i}", daemon=True)
                for i in range(concurrency)
            ]
        for thread in self._threads:
            thread.start()

    def call(self, kwargs: dict[str, Any]) -> Any:
        if self._queue is None:
            return self._run(**kwargs)
        pending = _Pending(kwargs, Future())
        with self._closing:
            if self._closed:
                raise RuntimeError("this model's executor is closed")
            self._queue.put(pending)
        return pending.future.result()

    def close(self) -> None:
        """Runs the calls already queued, then stops the lanes."""
        with self._closing:
            self._closed = True
            for _ in self._threads:
                assert self._queue is not None
                self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self) -> None:
        assert self._queue is not None
        while (pending := self._queue.get()) is not None:
            try:
                result = pending.context.run(self._run, **pending.kwargs)
            except BaseException as exc:
                pending.future.set_exception(exc)
            else:
                pending.future.set_result(result)


@dataclass
class _Pending:
    kwargs: dict[str, Any]
    future: Future[Any]
    #: the caller's context, copied where the call is made; a call that runs
    #: alone on a lane runs in it
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class Batcher:
    """Worker threads of one model turn queued calls into ``run_batch`` calls.

    There is one worker (a lane) per batch that may run at once: the module's
    ``concurrency``, default 1. One lane at a time gathers, while the others
    run; its batch closes when full, or ``max_wait`` after it began to
    gather. Lanes that wait to gather are left their share of a closing
    batch: otherwise, once one lane has taken every caller's call, the lanes
    take turns with all of them and each idles half of the time.

    ``run_batch`` receives each ``run`` parameter as a list (one entry per
    call, unset optional parameters filled with ``run``'s defaults) and
    returns one result per call; an entry may be an exception, which fails
    only that call. If ``run_batch`` itself raises, each call of the batch is
    retried alone through ``run``, so every caller gets its own answer or
    its own error.
    """

    def __init__(
        self, instance: Any, settings: BatchSettings, name: str, lanes: int = 1
    ) -> None:
        self._instance = instance
        self._settings = settings
        self._defaults = _run_defaults(instance)
        self._lanes = max(1, lanes)
        self._pending: deque[_Pending] = deque()
        self._busy_lanes = 0
        #: calls were left for a waiting lane: they have waited long enough
        self._left_over = False
        self._closed = False
        # Guards the fields above; notified on a new call and on close.
        self._changed = threading.Condition()
        # Gathering is one lane at a time: two gathering at once would split
        # the calls that arrive into two half-full batches.
        self._gathering = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, name=f"batch-{name}-{i}", daemon=True)
            for i in range(self._lanes)
        ]
        for thread in self._threads:
            thread.start()

    def call(self, kwargs: dict[str, Any]) -> Any:
        pending = _Pending(kwargs, Future())
        with self._changed:
            if self._closed:
                raise RuntimeError("this model's batcher is closed")
            self._pending.append(pending)
            self._changed.notify_all()
        return pending.future.result()

    def close(self) -> None:
        """Runs the calls already queued, then stops the lanes."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._gathering:
                batch = self._next_batch()
            if not batch:
                return
            try:
                self._run(batch)
            finally:
                with self._changed:
                    self._busy_lanes -= 1

    def _next_batch(self) -> list[_Pending]:
        """The calls of the next batch; empty once closed with nothing queued."""
        with self._changed:
            while not self._pending and not self._closed:
                self._changed.wait()
            if not self._pending:
                return []
            wait = 0.0 if self._left_over else self._settings.max_wait
            deadline = time.monotonic() + wait
            while not self._closes():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            size = min(len(self._pending), self._settings.max_size)
            # Lanes neither running nor gathering wait for this one to finish.
            waiting_lanes = self._lanes - self._busy_lanes - 1
            size = -(-size // (waiting_lanes + 1))
            self._left_over = size < len(self._pending)
            self._busy_lanes += 1
            return [self._pending.popleft() for _ in range(size)]

    def _closes(self) -> bool:
        return len(self._pending) >= self._settings.max_size or self._closed

    def _run(self, calls: list[_Pending]) -> None:
        try:
            results = self._instance.run_batch(**self._columns(calls))
            if len(results) != len(calls):
                raise RuntimeError(
                    f"run_batch returned {len(results)} results for {len(calls)} calls"
                )
        except Exception:
            logger.debug("run_batch failed; retrying %d calls one by one", len(calls))
            self._run_alone(calls)
            return
        for pending, result in zip(calls, results, strict=True):
            if isinstance(result, BaseException):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)

    def _run_alone(self, calls: list[_Pending]) -> None:
        for pending in calls:
            try:
                pending.future.set_result(self._instance.run(**pending.kwargs))
            except BaseException as exc:
                pending.future.set_exception(exc)

    def _columns(self, calls: list[_Pending]) -> dict[str, list[Any]]:
        names = set(self._defaults) | {k for c in calls for k in c.kwargs}
        return {
            name: [c.kwargs.get(name, self._defaults.get(name)) for c in calls]
            for name in names
        }


def _run_defaults(instance: Any) -> dict[str, Any]:
    parameters = inspect.signature(instance.run).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not p.empty}


def make_executor(
    instance: Any, spec: Any, settings: BatchSettings, name: str
) -> Executor:
    concurrency = getattr(instance, "concurrency", None)
    if settings.enabled and spec.batchable:
        return Batcher(instance, settings, name, concurrency or 1)
    return DirectExecutor(instance, concurrency, name)
