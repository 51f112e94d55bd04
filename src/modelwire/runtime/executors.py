"""How a model's ``run`` is called: directly, or gathered into batches.

``DirectExecutor`` calls ``run`` in the caller's thread, at most
``concurrency`` at a time when the module asks for a limit (a torch model
that already uses every core gains nothing from more parallel calls and
loses to oversubscription). ``Batcher`` gathers concurrent unary calls for
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

import inspect
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
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
    def __init__(self, instance: Any, concurrency: int | None) -> None:
        self._run = instance.run
        self._gate: AbstractContextManager[Any] = (
            threading.BoundedSemaphore(concurrency) if concurrency else nullcontext()
        )

    def call(self, kwargs: dict[str, Any]) -> Any:
        with self._gate:
            return self._run(**kwargs)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class _Pending:
    kwargs: dict[str, Any]
    future: Future[Any]


class Batcher:
    """Worker threads of one model turn queued calls into ``run_batch`` calls.

    There is one worker per batch that may run at once (the module's
    ``concurrency``, default 1). While one runs a batch, the next gathers
    the calls that arrive meanwhile, so batches stay full under load.

    ``run_batch`` receives each ``run`` parameter as a list (one entry per
    call, unset optional parameters filled with ``run``'s defaults) and
    returns one result per call; an entry may be an exception, which fails
    only that call. If ``run_batch`` itself raises, each call of the batch is
    retried alone through ``run``, so every caller gets its own answer or
    its own error.
    """

    def __init__(
        self, instance: Any, settings: BatchSettings, name: str, workers: int = 1
    ) -> None:
        self._instance = instance
        self._settings = settings
        self._defaults = _run_defaults(instance)
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"batch-{name}-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        # Gathering is one worker at a time: two gathering at once would split
        # the calls that arrive into two half-full batches.
        self._gathering = threading.Lock()
        for thread in self._threads:
            thread.start()

    def call(self, kwargs: dict[str, Any]) -> Any:
        pending = _Pending(kwargs, Future())
        self._queue.put(pending)
        return pending.future.result()

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._gathering:
                first = self._queue.get()
                if first is None:
                    return
                batch = self._gather(first)
            self._run(batch)
            if batch[-1] is None:
                return

    def _gather(self, first: _Pending) -> list[Any]:
        batch: list[Any] = [first]
        deadline = time.monotonic() + self._settings.max_wait
        while len(batch) < self._settings.max_size:
            remaining = deadline - time.monotonic()
            try:
                # Calls already queued join at once; otherwise wait a little.
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else (self._queue.get_nowait())
                )
            except queue.Empty:
                break
            batch.append(item)
            if item is None:
                break
        return batch

    def _run(self, batch: list[Any]) -> None:
        calls = [item for item in batch if item is not None]
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
    return DirectExecutor(instance, concurrency)
