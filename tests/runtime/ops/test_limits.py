"""Message size, concurrency and default-deadline limits: refused cleanly,
the server stays healthy, and a raised limit lets the same calls through."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import httpx
import pytest

from modelwire.runtime.ops.calls import CallObserver
from modelwire.runtime.server import Runtime
from runtime.ops.support import call, gateway_of, models, ops_config, probe, running

SMALL = 1024
BIG_TEXT = "x" * 2000


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Iterator[Runtime]:
    folder = models(tmp_path_factory.mktemp("small"))
    flags = {"limits.max_message_bytes": SMALL}
    with running(ops_config(folder, **flags)) as runtime:
        yield runtime


def _http(runtime: Runtime, method: str, model_id: str, body: dict) -> httpx.Response:
    url = f"{gateway_of(runtime).url}/opstest.v1/models/{model_id}/{method}"
    return httpx.post(url, json=body, timeout=30)


def test_oversized_request_is_resource_exhausted_and_server_stays_healthy(small):
    with grpc.insecure_channel(small.address) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            call(channel, small, "Echo", "echo", text=BIG_TEXT)
        assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert str(SMALL) in refused.value.details()
        assert call(channel, small, "Echo", "echo", text="small").text == "small"
    assert probe(small.address).returncode == 0


def test_oversized_response_is_refused_by_name(small):
    with grpc.insecure_channel(small.address) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            call(channel, small, "Grow", "grow", text="x" * 100, times=20)
        assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "limits.max_message_bytes" in refused.value.details()
        assert call(channel, small, "Grow", "grow", text="ab", times=2).text == "abab"


def test_http_oversized_body_is_413_and_oversized_answer_500(small):
    too_big = _http(small, "Echo", "echo", {"text": BIG_TEXT})
    assert too_big.status_code == 413
    error = too_big.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "limits.max_message_bytes" in error["message"]
    answer = _http(small, "Grow", "grow", {"text": "x" * 100, "times": 20})
    assert answer.status_code == 500
    assert answer.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert _http(small, "Echo", "echo", {"text": "fine"}).json() == {"text": "fine"}


def test_a_raised_limit_accepts_both_directions(tmp_path):
    flags = {"limits.max_message_bytes": 64 * 1024}
    with running(ops_config(models(tmp_path), **flags)) as runtime:
        with grpc.insecure_channel(runtime.address) as channel:
            assert (
                call(channel, runtime, "Echo", "echo", text=BIG_TEXT).text == BIG_TEXT
            )
            grown = call(channel, runtime, "Grow", "grow", text="x" * 100, times=20)
            assert len(grown.text) == 2000
        assert _http(runtime, "Echo", "echo", {"text": BIG_TEXT}).status_code == 200
        grown_http = _http(runtime, "Grow", "grow", {"text": "x" * 100, "times": 20})
        assert grown_http.status_code == 200


def _observer(runtime: Runtime) -> CallObserver:
    return next(e for e in runtime.extensions if isinstance(e, CallObserver))


def test_concurrency_limit_refuses_calls_over_it(tmp_path):
    flags = {"limits.max_concurrent_requests": 1}
    with running(ops_config(models(tmp_path), **flags)) as runtime:
        limit = _observer(runtime).concurrency
        with grpc.insecure_channel(runtime.address) as channel:
            stub = channel.unary_unary("/opstest.v1.OpstestService/Echo")
            slow = runtime.built.message_classes["opstest.v1.EchoRequest"](
                text="slow", delay_ms=5000
            )
            pending = stub.future(
                slow.SerializeToString(), metadata=[("mm-model-id", "echo")], timeout=60
            )
            deadline = time.monotonic() + 30
            while limit.active < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            with pytest.raises(grpc.RpcError) as refused:
                call(channel, runtime, "Echo", "echo", text="second")
            assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "limits.max_concurrent_requests" in refused.value.details()
            over_http = _http(runtime, "Echo", "echo", {"text": "third"})
            assert over_http.status_code == 429
            assert pending.result() is not None
            assert call(channel, runtime, "Echo", "echo", text="after").text == "after"


def test_default_deadline_applies_to_calls_without_one(tmp_path):
    flags = {"limits.default_deadline_s": 0.5}
    with running(ops_config(models(tmp_path), **flags)) as runtime:
        with grpc.insecure_channel(runtime.address) as channel:
            with pytest.raises(grpc.RpcError) as expired:
                call(
                    channel,
                    runtime,
                    "Echo",
                    "echo",
                    timeout=None,
                    text="s",
                    delay_ms=3000,
                )
            assert expired.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
            assert "limits.default_deadline_s" in expired.value.details()
            # A deadline of the caller's own wins over the default.
            own = call(
                channel, runtime, "Echo", "echo", timeout=30, text="s", delay_ms=1500
            )
            assert own.text == "s"
        answer = _http(runtime, "Echo", "echo", {"text": "s", "delayMs": 3000})
        assert answer.status_code == 504
