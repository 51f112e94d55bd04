"""OpenTelemetry: one server span per request, with model id and status,
continuing the caller's trace; off unless asked for."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.ops.calls import CallObserver
from modelwire.runtime.ops.limits import LimitSettings
from modelwire.runtime.ops.tracing import TracingSettings, make_tracer
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime
from runtime.ops.support import SERVICE, call, models, ops_config, running

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> Iterator[tuple[Runtime, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracer = make_tracer(TracingSettings(service_name="ops-test"), exporter)
    observer = CallObserver(LimitSettings(4 * 1024 * 1024), tracer=tracer)
    gateway = HttpGateway(port=0, observer=observer)
    folder = models(tmp_path_factory.mktemp("traced"))
    runtime = create_runtime(
        "opslib", folder, ServerSettings(port=0), extensions=[observer, gateway]
    )
    with runtime:
        yield runtime, exporter


def test_a_span_per_request_with_model_and_status(traced):
    runtime, exporter = traced
    exporter.clear()
    with grpc.insecure_channel(runtime.address) as channel:
        call(channel, runtime, "Echo", "echo", text="hi")
        with pytest.raises(grpc.RpcError):
            call(channel, runtime, "Echo", "missing", text="hi")
    spans = exporter.get_finished_spans()
    assert len(spans) == 2
    ok, failed = spans
    assert ok.name == f"{SERVICE}/Echo"
    assert ok.attributes["modelwire.model_id"] == "echo"
    assert ok.attributes["rpc.grpc.status_code"] == 0
    assert ok.attributes["rpc.method"] == "Echo"
    assert failed.attributes["modelwire.model_id"] == "missing"
    assert (
        failed.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    )
    assert not failed.status.is_ok
    assert "NOT_FOUND" in failed.status.description
    assert ok.resource.attributes["service.name"] == "ops-test"


def test_spans_continue_the_callers_trace_over_grpc_and_http(traced):
    runtime, exporter = traced
    exporter.clear()
    with grpc.insecure_channel(runtime.address) as channel:
        stub = channel.unary_unary(f"/{SERVICE}/Echo")
        request = runtime.built.message_classes["opstest.v1.EchoRequest"](text="t")
        metadata = [("mm-model-id", "echo"), ("traceparent", TRACEPARENT)]
        stub(request.SerializeToString(), metadata=metadata, timeout=30)
    gateway = next(e for e in runtime.extensions if isinstance(e, HttpGateway))
    answer = httpx.post(
        f"{gateway.url}/opstest.v1/models/echo/Echo",
        json={"text": "t"},
        headers={"traceparent": TRACEPARENT},
        timeout=30,
    )
    assert answer.status_code == 200
    spans = exporter.get_finished_spans()
    assert [s.attributes["modelwire.protocol"] for s in spans] == ["grpc", "http"]
    for span in spans:
        assert format(span.context.trace_id, "032x") == TRACE_ID


def test_tracing_is_off_by_default(tmp_path):
    config = ops_config(models(tmp_path))
    assert config.tracing.enabled is False
    with running(config) as runtime:
        observer = next(e for e in runtime.extensions if isinstance(e, CallObserver))
        assert observer.tracer is None
