"""The HTTP/JSON gateway: same operations, same error table, proto3 JSON bodies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from google.protobuf import json_format

from runtime.support import on

UNICODE_ERROR = "entrée invalide — 输入无效 🚫"


@pytest.fixture(scope="module")
def http(runtime):
    with httpx.Client(base_url=runtime.gateway.url, timeout=10) as client:
        yield client


def post(http, method: str, body, model_id: str = "echo", **kwargs) -> httpx.Response:
    path = f"/wiretest.v1/models/{model_id}/{method}"
    return http.post(path, content=json.dumps(body), **kwargs)


def error_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


def test_unary_call_over_http(http):
    """A JSON request reaches the module and the answer comes back as JSON."""
    response = post(http, "Echo", {"text": "héllo ✓"})
    assert response.status_code == 200
    assert response.json() == {"text": "héllo ✓"}


def test_model_id_from_header(http):
    """The mm-model-id header picks the model when the path does not."""
    response = http.post(
        "/wiretest.v1/Echo", content='{"text": "x"}', headers={"mm-model-id": "echo"}
    )
    assert response.status_code == 200 and response.json() == {"text": "x"}


@pytest.mark.parametrize("model_id", ["does-not-exist", "..%2Fecho"])
def test_unknown_model_is_404(http, model_id):
    """An unknown model id gives 404 with the id in a JSON error body (C20)."""
    response = post(http, "Echo", {"text": "x"}, model_id=model_id)
    assert response.status_code == 404
    error = error_of(response)
    assert error["status"] == "NOT_FOUND" and error["code"] == 5
    assert "Traceback" not in response.text


def test_http_json_equals_grpc_json(api, stub, http):
    """The HTTP response equals the gRPC response converted to JSON (C17)."""
    grpc_reply = stub.Describe(
        api.pb.DescribeRequest(color=api.pb.wiretest__types__pb2.Color.COLOR_GREEN)
        if hasattr(api.pb, "wiretest__types__pb2")
        else api.pb.DescribeRequest(color=2),
        metadata=on("describer"),
        timeout=5,
    )
    response = post(http, "Describe", {"color": "COLOR_GREEN"}, model_id="describer")
    assert response.status_code == 200
    assert response.json() == json.loads(json_format.MessageToJson(grpc_reply))
    assert response.json()["color"] == "COLOR_GREEN"
    assert response.json()["parts"][1] == {"name": "frame", "weight": 7.25}
    assert response.json()["tags"] == ["green", "bike"]


@pytest.mark.parametrize(
    ("value", "status", "color"),
    [
        ("PURPLE", 400, None),
        ("red", 400, None),
        (1, 200, "COLOR_RED"),
        (99, 400, None),
        ("COLOR_GREEN", 200, "COLOR_GREEN"),
    ],
)
def test_enum_values_in_json(http, value, status, color):
    """Unknown enum names and numbers are 400 naming the field and values (C19)."""
    response = post(http, "Describe", {"color": value}, model_id="describer")
    assert response.status_code == status
    if color is not None:
        assert response.json()["color"] == color
    else:
        message = error_of(response)["message"]
        assert "COLOR_RED" in message and "COLOR_GREEN" in message
        assert "color" in message.lower()


def test_unknown_enum_number_is_invalid_argument_over_grpc_too(api, stub):
    """gRPC clients see an unknown enum number the same way as HTTP (C19)."""
    import grpc

    with pytest.raises(grpc.RpcError) as caught:
        stub.Describe(
            api.pb.DescribeRequest(color=99), metadata=on("describer"), timeout=5
        )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "COLOR_GREEN" in caught.value.details()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"x": "None", "flag": "None", "k": "5"}),
        ({"x": 0}, {"x": "0", "flag": "None", "k": "5"}),
        ({"flag": False}, {"x": "None", "flag": "False", "k": "5"}),
        ({"x": None}, {"x": "None", "flag": "None", "k": "5"}),
        ({"x": "7", "k": 0}, {"x": "7", "flag": "None", "k": "0"}),
    ],
)
def test_presence_over_http(http, body, expected):
    """Unset, zero, false and null arrive as the module expects (C04)."""
    response = post(http, "Inspect", {"payload": "", **body}, model_id="inspector")
    assert response.status_code == 200, response.text
    received = response.json()["received"]
    assert {key: received[key] for key in expected} == expected


def test_bytes_over_http_are_base64(http):
    """Non-UTF-8 bytes travel as standard base64 both ways (C01)."""
    response = post(http, "Inspect", {"payload": "AP8Q"}, model_id="inspector")
    assert response.status_code == 200
    assert response.json()["payload"] == "AP8Q"
    assert response.json()["received"]["payload_type"] == "bytes"


@pytest.mark.parametrize(
    ("sent", "status", "returned"),
    [
        ("2024-01-01T12:00:00+02:00", 200, "2024-01-01T10:00:00Z"),
        ("2024-01-01T12:00:00Z", 200, "2024-01-01T12:00:00Z"),
        ("2024-01-01T12:00:00", 400, None),
    ],
)
def test_timestamps_over_http(http, sent, status, returned):
    """Offsets become UTC; a naive time is refused, as in every other path (C16)."""
    response = post(http, "Inspect", {"payload": "", "at": sent}, model_id="inspector")
    assert response.status_code == status, response.text
    if returned:
        assert response.json()["at"] == returned


@pytest.mark.parametrize("choice", [0, ""])
def test_oneof_zero_member_over_http(http, choice):
    """A oneof member at its zero value is kept in the JSON answer (C02, C13)."""
    member = "choiceInt" if choice == 0 else "choiceStr"
    sent = {"payload": "", member: str(choice) if choice == 0 else choice}
    response = post(http, "Inspect", sent, model_id="inspector")
    assert response.status_code == 200
    answer = response.json()
    assert member in answer
    assert answer["received"]["choice"] == repr(choice)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{not json", "Failed to load JSON"),
        ('{"text": "x", "nope": 1}', "nope"),
        ('{"text": 5}', "text"),
    ],
)
def test_bad_bodies_are_400(http, body, fragment):
    """Undecodable bodies and unknown fields are 400 with protobuf's reason."""
    response = http.post("/wiretest.v1/models/echo/Echo", content=body)
    assert response.status_code == 400
    assert fragment in error_of(response)["message"]


def test_user_error_text_survives_http(http):
    """A non-ASCII ValueError message arrives intact as UTF-8 JSON (C24)."""
    response = post(
        http, "Echo", {"text": "value:" + UNICODE_ERROR}, model_id="failing"
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == UNICODE_ERROR


def test_fault_is_500_without_internals(http):
    """A module fault is 500 with a short message and no traceback."""
    response = post(http, "Echo", {"text": "boom"}, model_id="failing")
    assert response.status_code == 500
    assert "internal detail" not in response.text and "Traceback" not in response.text


def test_deadline_is_504(http):
    """A request-timeout shorter than the call gives 504 DEADLINE_EXCEEDED."""
    response = post(
        http,
        "Echo",
        {"text": "slow", "delayMs": 800},
        model_id="slow",
        headers={"request-timeout": "0.2"},
    )
    assert response.status_code == 504
    assert error_of(response)["status"] == "DEADLINE_EXCEEDED"


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines.get("event", "message"), json.loads(lines["data"])))
    return events


def test_server_stream_as_server_sent_events(http):
    """A server-streaming task answers as SSE, one data event per item."""
    response = post(http, "Count", {"n": 3}, model_id="counter")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert sse_events(response.text) == [
        ("message", {}),
        ("message", {"index": "1"}),
        ("message", {"index": "2"}),
    ]


def test_stream_failing_before_first_item_is_400(http):
    """A validation error before any item is an ordinary 400 (C22 a)."""
    response = post(http, "Count", {"n": 3, "failAt": 0}, model_id="counter")
    assert response.status_code == 400
    assert error_of(response)["message"] == "cannot count to 0 — 停止"


def test_stream_failing_part_way_sends_error_event(http):
    """A validation error after two items is a well-formed error event (C22 b)."""
    response = post(http, "Count", {"n": 5, "failAt": 2}, model_id="counter")
    assert response.status_code == 200
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["message", "message", "error"]
    assert events[2][1]["error"]["status"] == "INVALID_ARGUMENT"
    assert events[2][1]["error"]["message"] == "cannot count to 2 — 停止"


def test_client_stream_takes_a_json_array(http):
    """A client-streaming task takes a JSON array of requests."""
    body = [{"values": "1", "scale": 2}, {"values": 2}]
    response = post(http, "Sum", body, model_id="summer")
    assert response.status_code == 200
    assert response.json() == {"total": "6", "count": "2"}
    assert post(http, "Sum", {"values": 1}, model_id="summer").status_code == 400


def test_served_openapi_equals_generated(http, api):
    """The gateway serves the same OpenAPI document that the generator wrote."""
    served = http.get("/openapi.json").json()
    written = json.loads(
        (api.proto_dir / "wiretest/v1/wiretest_openapi.json").read_text(
            encoding="utf-8"
        )
    )
    assert served == written
    assert served["openapi"] == "3.1.0"
    assert "/wiretest.v1/models/{model_id}/Echo" in served["paths"]


def test_schemathesis_finds_no_server_errors(runtime, tmp_path):
    """Requests generated from the OpenAPI document never get a 5xx."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{runtime.gateway.url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "25",
        "--seed",
        "1",
        "--generation-deterministic",
        "--request-timeout",
        "10",
        "--workers",
        "1",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
