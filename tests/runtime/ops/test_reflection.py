"""Server reflection, checked with grpcurl (v1) and grpcio's v1alpha client:
list, describe and a call by JSON, with no .proto files at hand."""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from modelwire.runtime.server import Runtime
from runtime.ops.support import SERVICE, models, ops_config, run_tool, running

EXPECTED_SERVICES = {
    SERVICE,
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Iterator[Runtime]:
    folder = models(tmp_path_factory.mktemp("reflection"))
    with running(ops_config(folder, **{"http.enabled": False})) as server:
        yield server


def grpcurl(runtime: Runtime, *words: str, flags: tuple[str, ...] = ()) -> str:
    """grpcurl's output for ``grpcurl -plaintext FLAGS ADDRESS WORDS``."""
    result = run_tool("grpcurl", "-plaintext", *flags, runtime.address, *words)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_grpcurl_lists_every_service(runtime):
    listed = set(grpcurl(runtime, "list").split())
    assert listed == EXPECTED_SERVICES


def test_grpcurl_describes_services_and_messages(runtime):
    service = grpcurl(runtime, "describe", SERVICE)
    assert (
        "rpc Echo ( .opstest.v1.EchoRequest ) returns ( .opstest.v1.EchoResponse );"
        in service
    )
    assert "rpc Grow" in service
    request = grpcurl(runtime, "describe", "opstest.v1.GrowRequest")
    assert "string text = 1;" in request
    assert "int64 times = 2;" in request
    health = grpcurl(runtime, "describe", "grpc.health.v1.Health")
    assert "rpc Check" in health


def test_grpcurl_calls_by_json_without_proto_files(runtime):
    flags = ("-H", "mm-model-id: grow", "-d", '{"text": "ab", "times": 3}')
    output = grpcurl(runtime, f"{SERVICE}/Grow", flags=flags)
    assert json.loads(output) == {"text": "ababab"}


def test_grpcurl_reports_the_runtime_error_table(runtime):
    result = run_tool(
        "grpcurl",
        "-plaintext",
        "-H",
        "mm-model-id: nope",
        "-d",
        '{"text": "x"}',
        runtime.address,
        f"{SERVICE}/Echo",
    )
    assert result.returncode != 0
    assert "NotFound" in result.stderr and "'nope'" in result.stderr


def test_v1alpha_for_older_tools(runtime):
    with grpc.insecure_channel(runtime.address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert set(database.get_services()) == EXPECTED_SERVICES
        found = database.FindFileContainingSymbol("opstest.v1.EchoRequest")
        assert found.package == "opstest.v1"
        assert any(m.name == "EchoRequest" for m in found.message_type)
