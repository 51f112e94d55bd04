"""Dynamic batching: concurrent calls share run_batch, each keeps its own answer."""

from __future__ import annotations

import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import pytest
import rtlib

from modelwire.runtime.executors import Batcher, BatchSettings, DirectExecutor
from modelwire.runtime.gateway import CALL_THREADS, HttpGateway
from modelwire.runtime.server import ServerSettings, create_runtime
from runtime.support import on, write_models

#: more calls than the gateway's fewest call threads, so that neither pool
#: could hold a whole batch without the room batching adds
FULL_BATCH = CALL_THREADS + 8


def shout_all(api, stub, texts: list[str]) -> list[object]:
    def one(text: str) -> object:
        request = api.pb.ShoutRequest(text=text)
        if text.startswith("quiet"):
            request.suffix = "?"
        try:
            return stub.Shout(request, metadata=on("shouter"), timeout=10)
        except grpc.RpcError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        return list(pool.map(one, texts))


def test_concurrent_calls_share_batches(api, stub):
    """Sixteen concurrent calls are served in batches, each with its own answer."""
    texts = [f"call {i}" for i in range(16)]
    replies = shout_all(api, stub, texts)
    assert [r.text for r in replies] == [t.upper() + "!" for t in texts]
    assert max(r.batch_size for r in replies) > 1


def test_per_call_parameters_stay_with_their_call(api, stub):
    """A parameter set by one caller does not leak into the others of the batch."""
    replies = shout_all(api, stub, ["quiet a", "loud b", "quiet c", "loud d"])
    assert [r.text for r in replies] == ["QUIET A?", "LOUD B!", "QUIET C?", "LOUD D!"]


def test_one_bad_item_fails_alone(api, stub):
    """An exception returned for one item fails only that caller."""
    replies = shout_all(api, stub, ["ok 1", "bad", "ok 2"])
    assert replies[0].text == "OK 1!" and replies[2].text == "OK 2!"
    assert replies[1].code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "'bad'" in replies[1].details()


def test_failed_batch_is_retried_call_by_call(api, stub):
    """When run_batch raises, each call is retried alone and gets its own result."""
    replies = shout_all(api, stub, ["ok 1", "explode", "ok 2", "ok 3"])
    assert [r.text for r in replies if not isinstance(r, grpc.RpcError)] == [
        "OK 1!",
        "OK 2!",
        "OK 3!",
    ]
    error = replies[1]
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "explode" in error.details()


@pytest.fixture(scope="module")
def few_workers(tmp_path_factory, api):
    """A server with two workers, batches of FULL_BATCH, and a long wait to fill."""
    models = write_models(
        tmp_path_factory.mktemp("models"), {"shouter": "rtlib.shouter"}
    )
    batching = BatchSettings(max_size=FULL_BATCH, max_wait=5.0)
    settings = ServerSettings(port=0, workers=2, batching=batching)
    gateway = HttpGateway(port=0)
    with create_runtime("rtlib", models, settings, extensions=[gateway]) as server:
        yield server, gateway


def _at_once(call, count: int) -> list[object]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


def test_batches_fill_beyond_the_worker_threads_over_grpc(api, few_workers):
    """Calls waiting for a batch do not use up the workers: the batch fills."""
    server, _ = few_workers
    with grpc.insecure_channel(server.address) as channel:
        stub = api.grpc.WiretestServiceStub(channel)
        replies = _at_once(
            lambda i: stub.Shout(
                api.pb.ShoutRequest(text=f"g{i}"), metadata=on("shouter"), timeout=30
            ),
            FULL_BATCH,
        )
    assert [r.text for r in replies] == [f"G{i}!" for i in range(FULL_BATCH)]
    assert {r.batch_size for r in replies} == {FULL_BATCH}


def test_batches_fill_beyond_the_worker_threads_over_http(few_workers):
    """The gateway's call pool leaves the same room for calls awaiting a batch."""
    _, gateway = few_workers
    path = "/wiretest.v1/models/shouter/Shout"
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        replies = _at_once(
            lambda i: http.post(path, json={"text": f"h{i}"}).json(), FULL_BATCH
        )
    assert [r["text"] for r in replies] == [f"H{i}!" for i in range(FULL_BATCH)]
    assert {int(r["batchSize"]) for r in replies} == {FULL_BATCH}  # int64: a string


def test_only_libraries_that_batch_get_the_extra_threads(few_workers):
    """A library without run_batch keeps its pool at the workers asked for."""
    server, _ = few_workers
    assert server.serving_threads > 2
    with create_runtime("trainlib", None, ServerSettings(port=0, workers=2)) as plain:
        assert plain.serving_threads == 2


def test_batcher_respects_max_size():
    """No batch holds more calls than max_size."""
    batcher = Batcher(rtlib.Shouter(), BatchSettings(max_size=3, max_wait=0.05), "t")
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(
                pool.map(lambda i: batcher.call({"text": str(i)}), range(10))
            )
    finally:
        batcher.close()
    assert [r.text for r in results] == [f"{i}!" for i in range(10)]
    assert max(r.batch_size for r in results) <= 3


class _Tracked:
    """Counts how many run() calls overlap."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0

    def run(self, text: str) -> str:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.05)
        with self.lock:
            self.active -= 1
        return text.upper()


class _TrackedBatches(_Tracked):
    """Counts how many run_batch() calls overlap, and records their sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def run_batch(self, text: list[str]) -> list[str]:
        with self.lock:
            self.sizes.append(len(text))
        return [self.run(t) for t in text]


def _eight_calls_then_close(batcher: Batcher) -> list[object]:
    try:
        return _at_once(lambda i: batcher.call({"text": f"t{i}"}), 8)
    finally:
        batcher.close()


@pytest.mark.parametrize(("workers", "peak"), [(1, 1), (2, 2)])
def test_batcher_runs_up_to_its_workers_batches_at_once(workers, peak):
    """A module's concurrency is how many batches run at once; none overlap beyond it."""
    module = _TrackedBatches()
    batcher = Batcher(module, BatchSettings(max_size=2, max_wait=0.2), "t", workers)
    results = _eight_calls_then_close(batcher)
    assert results == [f"T{i}" for i in range(8)]
    assert module.peak == peak
    assert sum(module.sizes) == 8 and max(module.sizes) <= 2


def test_calls_spread_over_idle_lanes():
    """Calls that arrive together are shared by the idle lanes, not one batch."""
    module = _TrackedBatches()
    batcher = Batcher(module, BatchSettings(max_size=8, max_wait=1.0), "t", 2)
    results = _eight_calls_then_close(batcher)
    assert results == [f"T{i}" for i in range(8)]
    assert sum(module.sizes) == 8 and max(module.sizes) <= 4
    assert module.peak == 2


@pytest.mark.parametrize(("limit", "peak"), [(1, 1), (None, 4)])
def test_direct_executor_limits_overlapping_runs(limit, peak):
    """With batching off, run() is called at most `concurrency` times at once."""
    module = _Tracked()
    executor = DirectExecutor(module, limit)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda t: executor.call({"text": t}), "abcd"))
    assert results == ["A", "B", "C", "D"]
    assert module.peak == peak


def test_direct_executor_runs_on_its_own_lanes_in_the_callers_context():
    """Limited calls run on the model's own threads, each seeing its caller's context."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")

    class Module:
        def run(self, text: str) -> tuple[str, str, str]:
            return text, request_id.get(), threading.current_thread().name

    executor = DirectExecutor(Module(), 2, "m")

    def call(text: str) -> tuple[str, str, str]:
        request_id.set(f"id-{text}")
        return executor.call({"text": text})

    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(call, "abcdef"))
    finally:
        executor.close()
    assert [(text, rid) for text, rid, _ in results] == [
        (t, f"id-{t}") for t in "abcdef"
    ]
    assert {thread for _, _, thread in results} <= {"run-m-0", "run-m-1"}


def test_direct_executor_close_finishes_queued_calls():
    """Closing runs the calls already queued; a call after closing is refused."""
    module = _Tracked()
    executor = DirectExecutor(module, 1, "m")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(executor.call, {"text": t}) for t in "abcd"]
        _wait_until(lambda: module.active == 1 and executor._queue.qsize() == 3)
        executor.close()
        assert [f.result(timeout=5) for f in futures] == ["A", "B", "C", "D"]
    with pytest.raises(RuntimeError, match="closed"):
        executor.call({"text": "late"})


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def test_run_batch_must_use_run_parameter_names():
    """A run_batch whose parameters differ from run's is refused at registration."""
    import modelwire as mw

    with mw.REGISTRY.isolated(), pytest.raises(mw.SchemaError, match="run_batch"):

        @mw.module(id="rtlib.bad_batch", name="Bad", version="1", task=rtlib.Shout)
        class BadBatch(mw.ModuleBase):
            @classmethod
            def load(cls, model_path):
                return cls()

            def run(self, text: str) -> rtlib.Shouted:
                return rtlib.Shouted(text, 1)

            def run_batch(self, texts: list[str]) -> list[rtlib.Shouted]:
                return [rtlib.Shouted(t, len(texts)) for t in texts]
