"""Field cases C13, C15 and C16 through the generated python client and over HTTP.

The client is generated from conflib and installed the way a user installs
it; every call goes to the live conformance runtime.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from conformance.support import APP_DIR, LIBRARY
from modelwire.generator import generate

PLUS_TWO = timezone(timedelta(hours=2))
EVENTS = [datetime(2024, 3, 1, 9, 30, tzinfo=UTC), datetime(1969, 12, 31, tzinfo=UTC)]
SPANS = [timedelta(seconds=90, milliseconds=250), timedelta(hours=-1)]


@pytest.fixture(scope="module")
def client_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """``conformance_client``, generated and pip-installed into a scratch folder."""
    root = tmp_path_factory.mktemp("python-client")
    lock = root / "modelwire.lock.json"
    lock.write_bytes((APP_DIR / LIBRARY / "modelwire.lock.json").read_bytes())
    generate(LIBRARY, root / "out", app_dir=APP_DIR, lock_path=lock, clients=["python"])
    site = root / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    package = root / "out" / "clients" / "python"
    pip += ["--no-build-isolation", "--target", str(site), str(package)]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(site))
        yield importlib.import_module("conformance_client")
    for name in [n for n in sys.modules if n.startswith("conformance_client")]:
        del sys.modules[name]


@pytest.fixture
def client(client_module, conformance_runtime):
    with client_module.ConformanceClient(conformance_runtime.address) as client:
        yield client


@pytest.fixture(scope="module")
def http(conformance_runtime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=conformance_runtime.gateway.url, timeout=10) as http:
        yield http


def _post(http: httpx.Client, task: str, model: str, body: dict) -> httpx.Response:
    return http.post(f"/conformance.v1/models/{model}/{task}", json=body)


@pytest.mark.parametrize(
    ("argument", "value", "member", "shown"),
    [("as_bool", False, "asBool", False), ("as_int", 0, "asInt", "0")],
)
def test_c13_oneof_zero_member_kept_by_python_client(
    client_module, client, http, argument, value, member, shown
):
    """C13: a oneof member set to False or 0 stays in dict and JSON, and parses back."""
    response = client.echo_choice(**{argument: value}, model_id="choice")
    assert response.WhichOneof("value") == argument
    as_dict = client_module.to_dict(response)
    assert as_dict[member] == shown
    assert as_dict["branch"] == type(value).__name__
    response_class = type(response)
    for parsed in (
        client_module.from_dict(response_class, as_dict),
        client_module.from_json(response_class, client_module.to_json(response)),
    ):
        assert parsed.WhichOneof("value") == argument
        assert getattr(parsed, argument) == value
    over_http = _post(http, "EchoChoice", "choice", {member: value})
    assert over_http.status_code == 200, over_http.text
    assert over_http.json()[member] == shown
    parsed = client_module.from_json(response_class, over_http.text)
    assert parsed == response


def test_c15_repeated_times_survive_every_serialiser(client_module, client, http):
    """C15: lists of datetimes and timedeltas round-trip through bytes, JSON, dict."""
    response = client.echo_times(
        at=EVENTS[0], took=SPANS[0], events=EVENTS, spans=SPANS, model_id="time"
    )
    assert [e.ToDatetime(tzinfo=UTC) for e in response.events] == EVENTS
    assert [s.ToTimedelta() for s in response.spans] == SPANS
    as_dict = client_module.to_dict(response)
    assert as_dict["events"] == ["2024-03-01T09:30:00Z", "1969-12-31T00:00:00Z"]
    assert as_dict["spans"] == ["90.250s", "-3600s"]
    response_class = type(response)
    assert client_module.from_dict(response_class, as_dict) == response
    text = client_module.to_json(response)
    assert client_module.from_json(response_class, text) == response
    assert response_class.FromString(response.SerializeToString()) == response
    body = {"at": as_dict["at"], "took": "1s", "events": as_dict["events"]}
    over_http = _post(http, "EchoTimes", "time", body | {"spans": as_dict["spans"]})
    assert over_http.status_code == 200, over_http.text
    assert over_http.json()["events"] == as_dict["events"]
    assert over_http.json()["spans"] == as_dict["spans"]


def test_c16_aware_datetimes_keep_their_instant(client_module, client, http):
    """C16: 12:00+02:00 arrives as 10:00Z and reads back as an aware UTC datetime."""
    for at in (
        datetime(2024, 1, 1, 12, tzinfo=PLUS_TWO),
        datetime(2024, 1, 1, 10, tzinfo=UTC),
    ):
        response = client.echo_times(at=at, took=timedelta(0), model_id="time")
        assert response.at_text == "2024-01-01T10:00:00+00:00"
        read_back = response.at.ToDatetime(tzinfo=UTC)
        assert read_back == at and read_back.utcoffset() == timedelta(0)
        assert client_module.to_dict(response)["at"] == "2024-01-01T10:00:00Z"
    over_http = _post(
        http, "EchoTimes", "time", {"at": "2024-01-01T12:00:00+02:00", "took": "0s"}
    )
    assert over_http.status_code == 200, over_http.text
    assert over_http.json()["at"] == "2024-01-01T10:00:00Z"


def test_c16_naive_datetime_is_refused_on_every_path(client_module, client, http):
    """C16: a naive datetime is INVALID_ARGUMENT in the client and 400 over HTTP."""
    with pytest.raises(client_module.InvalidArgument, match="naive datetime"):
        client.echo_times(at=datetime(2024, 1, 1, 12), model_id="time")
    over_http = _post(
        http, "EchoTimes", "time", {"at": "2024-01-01T12:00:00", "took": "0s"}
    )
    assert over_http.status_code == 400
    assert over_http.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_client_module_is_the_generated_one(client_module):
    """The tests above run against the package just generated, not an older copy."""
    assert Path(client_module.__file__).parts[-3] == "site"
