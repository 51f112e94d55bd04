"""Calls through stubs compiled from the emitted .proto files, against a live server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from runtime.support import on

UNICODE_ERROR = "entrée invalide — 输入无效 🚫"


def call_error(fn, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        fn(*args, timeout=5, **kwargs)
    return caught.value


def test_echo_returns_text_unchanged(api, stub):
    """A unary call reaches the module and the answer comes back intact."""
    reply = stub.Echo(
        api.pb.EchoRequest(text="héllo ✓"), metadata=on("echo"), timeout=5
    )
    assert reply.text == "héllo ✓"


@pytest.mark.parametrize("model_id", ["does-not-exist", "../echo", "echo/.."])
def test_unknown_model_is_not_found(api, stub, model_id):
    """An unknown model id gives NOT_FOUND naming the id (field case C20)."""
    error = call_error(stub.Echo, api.pb.EchoRequest(text="x"), metadata=on(model_id))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert repr(model_id) in error.details()
    assert "Traceback" not in error.details()


def test_missing_model_header_is_invalid_argument(api, stub):
    """Without mm-model-id the call is refused with a message naming the header."""
    error = call_error(stub.Echo, api.pb.EchoRequest(text="x"))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "mm-model-id" in error.details()


def test_model_of_another_task_is_refused(api, stub):
    """Calling Echo on a model that serves Inspect names both tasks."""
    error = call_error(
        stub.Echo, api.pb.EchoRequest(text="x"), metadata=on("inspector")
    )
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "Inspect" in error.details() and "Echo" in error.details()


@pytest.mark.parametrize(
    ("text", "code", "details"),
    [
        ("value:bad threshold", grpc.StatusCode.INVALID_ARGUMENT, "bad threshold"),
        ("type:not a list", grpc.StatusCode.INVALID_ARGUMENT, "not a list"),
        ("value:" + UNICODE_ERROR, grpc.StatusCode.INVALID_ARGUMENT, UNICODE_ERROR),
        ("call:NOT_FOUND:no such label", grpc.StatusCode.NOT_FOUND, "no such label"),
        (
            "call:RESOURCE_EXHAUSTED:queue full",
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "queue full",
        ),
    ],
)
def test_expected_errors_keep_their_status_and_text(api, stub, text, code, details):
    """User errors map to their status with the exact message (C24 for non-ASCII)."""
    started = time.monotonic()
    error = call_error(stub.Echo, api.pb.EchoRequest(text=text), metadata=on("failing"))
    assert error.code() is code
    assert error.details() == details
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("text", ["boom", "wrong-result", "exit"])
def test_faults_are_internal_with_a_short_message(api, stub, text):
    """Module faults give INTERNAL without internals, and the server keeps serving."""
    error = call_error(stub.Echo, api.pb.EchoRequest(text=text), metadata=on("failing"))
    assert error.code() is grpc.StatusCode.INTERNAL
    assert "internal detail" not in error.details()
    assert "'failing'" in error.details()
    reply = stub.Echo(
        api.pb.EchoRequest(text="still up"), metadata=on("echo"), timeout=5
    )
    assert reply.text == "still up"


def test_undecodable_request_is_invalid_argument(channel):
    """Bytes that are not a message give INVALID_ARGUMENT, not a crash."""
    raw = channel.unary_unary("/wiretest.v1.WiretestService/Echo")
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"\x0a\xff\xff\xff", metadata=on("echo"), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_parameter_the_model_does_not_take_is_refused(api, stub):
    """A request field the model's module does not accept is never dropped silently."""
    request = api.pb.EchoRequest(text="x", delay_ms=5)
    error = call_error(stub.Echo, request, metadata=on("echo"))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "delay_ms" in error.details()


def test_module_parameter_is_passed_when_set(api, stub):
    """An optional run() parameter set in the request reaches the module."""
    request = api.pb.EchoRequest(text="quick", delay_ms=1)
    reply = stub.Echo(request, metadata=on("slow"), timeout=5)
    assert reply.text == "quick"


def inspect(api, stub, **fields) -> dict[str, str]:
    request = api.pb.InspectRequest(payload=b"p", **fields)
    return dict(stub.Inspect(request, metadata=on("inspector"), timeout=5).received)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, {"x": "None", "flag": "None", "k": "5"}),
        ({"x": 0}, {"x": "0", "flag": "None", "k": "5"}),
        ({"flag": False}, {"x": "None", "flag": "False", "k": "5"}),
        ({"k": 0}, {"x": "None", "flag": "None", "k": "0"}),
    ],
)
def test_presence_unset_versus_zero(api, stub, fields, expected):
    """Unset optional fields arrive as None or the default, zeros as zeros (C04)."""
    received = inspect(api, stub, **fields)
    assert {key: received[key] for key in expected} == expected


def test_optional_fields_have_explicit_presence_in_proto(api):
    """The generated .proto marks optional parameters with explicit presence (C04)."""
    fields = api.pb.InspectRequest.DESCRIPTOR.fields_by_name
    assert fields["x"].has_presence and fields["flag"].has_presence
    assert fields["k"].has_presence


def test_bytes_arrive_as_bytes(api, stub):
    """Non-UTF-8 bytes reach run() as bytes and come back identical (C01)."""
    payload = b"\x00\xff\x10"
    request = api.pb.InspectRequest(payload=payload)
    reply = stub.Inspect(request, metadata=on("inspector"), timeout=5)
    assert reply.payload == payload
    assert reply.received["payload_type"] == "bytes"


@pytest.mark.parametrize(("value", "branch"), [(0, "choice_int"), ("", "choice_str")])
def test_oneof_zero_branch_survives(api, stub, value, branch):
    """A oneof member set to its zero value keeps its branch end to end (C02)."""
    request = api.pb.InspectRequest(payload=b"", **{branch: value})
    reply = stub.Inspect(request, metadata=on("inspector"), timeout=5)
    assert reply.received["choice"] == repr(value)
    assert reply.WhichOneof("choice") == branch


def test_timestamp_with_offset_is_the_same_instant(api, stub):
    """12:00+02:00 sent as a Timestamp comes back as 10:00Z (C16)."""
    at = Timestamp()
    at.FromDatetime(datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    request = api.pb.InspectRequest(payload=b"", at=at)
    reply = stub.Inspect(request, metadata=on("inspector"), timeout=5)
    assert reply.at.ToDatetime(tzinfo=UTC) == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_concurrent_calls_all_succeed(api, stub):
    """Thirty-two overlapping calls each get their own answer."""

    def one(i: int) -> str:
        reply = stub.Echo(
            api.pb.EchoRequest(text=str(i)), metadata=on("echo"), timeout=10
        )
        return reply.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, range(32)))
    assert answers == [str(i) for i in range(32)]
