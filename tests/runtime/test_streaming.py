"""Streaming RPCs in all four shapes, through protoc-compiled stubs."""

from __future__ import annotations

import time

import grpc
import pytest
import rtlib

from runtime.support import on


def test_server_stream_yields_every_item(api, stub):
    """A server-streaming call delivers the module's items in order."""
    replies = stub.Count(api.pb.CountRequest(n=5), metadata=on("counter"), timeout=5)
    assert [r.index for r in replies] == [0, 1, 2, 3, 4]


def test_error_before_first_item_keeps_unary_status(api, stub):
    """A ValueError before anything was sent is INVALID_ARGUMENT (C22 a)."""
    replies = stub.Count(
        api.pb.CountRequest(n=5, fail_at=0), metadata=on("counter"), timeout=5
    )
    with pytest.raises(grpc.RpcError) as caught:
        list(replies)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "cannot count to 0 — 停止"


def test_error_mid_stream_keeps_unary_status(api, stub):
    """A ValueError after two items arrives after them as INVALID_ARGUMENT (C22 b)."""
    replies = stub.Count(
        api.pb.CountRequest(n=5, fail_at=2), metadata=on("counter"), timeout=5
    )
    received = []
    with pytest.raises(grpc.RpcError) as caught:
        for reply in replies:
            received.append(reply.index)
    assert received == [0, 1]
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_streams_to_unknown_model_are_not_found(api, stub):
    """Every streaming shape answers NOT_FOUND for an unknown model."""
    calls = [
        lambda: list(
            stub.Count(api.pb.CountRequest(n=1), metadata=on("nope"), timeout=5)
        ),
        lambda: stub.Sum(
            iter([api.pb.SumRequest(values=1)]), metadata=on("nope"), timeout=5
        ),
        lambda: list(
            stub.RunningSum(
                iter([api.pb.RunningSumRequest(values=1)]),
                metadata=on("nope"),
                timeout=5,
            )
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call()
        assert caught.value.code() is grpc.StatusCode.NOT_FOUND


def test_client_stream_sums_values(api, stub):
    """A client-streaming call feeds the module an iterator of the streamed field."""
    requests = [
        api.pb.SumRequest(values=1, scale=2),
        api.pb.SumRequest(values=2),
        api.pb.SumRequest(values=3, scale=2),  # the same value again is fine
    ]
    reply = stub.Sum(iter(requests), metadata=on("summer"), timeout=5)
    assert (reply.total, reply.count) == (12, 3)


def test_client_stream_refuses_changed_fixed_field(api, stub):
    """A non-streamed field set again later in the stream is refused, not ignored."""
    requests = [
        api.pb.SumRequest(values=1, scale=2),
        api.pb.SumRequest(values=2, scale=3),
    ]
    with pytest.raises(grpc.RpcError) as caught:
        stub.Sum(iter(requests), metadata=on("summer"), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "scale" in caught.value.details()


def test_client_stream_empty_and_error(api, stub):
    """An empty stream reaches run() as an empty iterator; its ValueError maps as usual."""
    reply = stub.Sum(iter([]), metadata=on("summer"), timeout=5)
    assert (reply.total, reply.count) == (0, 0)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Sum(iter([api.pb.SumRequest(values=-1)]), metadata=on("summer"), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_bidirectional_stream_answers_each_message(api, stub):
    """A bidirectional call answers every incoming number with the running sum."""
    requests = iter([api.pb.RunningSumRequest(values=v) for v in (5, 6, 7)])
    replies = stub.RunningSum(requests, metadata=on("running"), timeout=5)
    assert [(r.total, r.count) for r in replies] == [(5, 1), (11, 2), (18, 3)]


def test_cancelled_streams_free_their_workers(api, stub, runtime):
    """Twenty cancelled streams run their module's finally and leave no worker stuck."""
    before = rtlib.STREAMS["closed"]
    for _ in range(20):
        replies = stub.Count(
            api.pb.CountRequest(n=10**6, delay_ms=20),
            metadata=on("counter"),
            timeout=30,
        )
        next(replies)
        replies.cancel()
    deadline = time.monotonic() + 5
    while rtlib.STREAMS["closed"] - before < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rtlib.STREAMS["closed"] - before == 20
    reply = stub.Echo(api.pb.EchoRequest(text="free"), metadata=on("echo"), timeout=5)
    assert reply.text == "free"


def test_deadline_stops_a_stream(api, stub):
    """A deadline ends a long stream with DEADLINE_EXCEEDED and closes the generator."""
    before = rtlib.STREAMS["closed"]
    replies = stub.Count(
        api.pb.CountRequest(n=10**6, delay_ms=20), metadata=on("counter"), timeout=0.3
    )
    with pytest.raises(grpc.RpcError) as caught:
        list(replies)
    assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    deadline = time.monotonic() + 5
    while rtlib.STREAMS["closed"] == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rtlib.STREAMS["closed"] == before + 1
