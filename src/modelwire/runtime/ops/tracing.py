"""Optional OpenTelemetry tracing: one server span per request, carrying the
model id and the status code, continuing the caller's trace when the request
carries a W3C ``traceparent``.

OpenTelemetry is an optional dependency (``pip install 'modelwire[tracing]'``);
nothing here is imported unless tracing is switched on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

logger = logging.getLogger(__name__)
EXPORTERS = ("console", "otlp")


class TracingUnavailable(ValueError):
    """Tracing was asked for, but its packages are missing."""


@dataclass(frozen=True)
class TracingSettings:
    service_name: str = "modelwire"
    #: "console" prints spans to stdout; "otlp" sends them to ``endpoint``
    exporter: str = "console"
    endpoint: str | None = None


class Tracer:
    """Starts and ends request spans; built once, used by the call observer."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry import propagate, trace

        self.provider = provider
        self._tracer = provider.get_tracer("modelwire.runtime")
        self._extract = propagate.extract
        self._server_kind = trace.SpanKind.SERVER
        self._status = trace.Status
        self._error = trace.StatusCode.ERROR

    def start(
        self,
        name: str,
        attributes: Mapping[str, Any],
        headers: Sequence[tuple[str, Any]] | None,
    ) -> Any:
        carrier = {k: v for k, v in headers or () if isinstance(v, str)}
        return self._tracer.start_span(
            name,
            context=self._extract(carrier) if carrier else None,
            kind=self._server_kind,
            attributes=attributes,
        )

    def finish(
        self, span: Any, model_id: str | None, code: grpc.StatusCode, message: str
    ) -> None:
        span.set_attribute("modelwire.model_id", model_id or "")
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code is not grpc.StatusCode.OK:
            span.set_status(self._status(self._error, f"{code.name}: {message}"))
        span.end()

    def shutdown(self) -> None:
        self.provider.shutdown()


def make_tracer(settings: TracingSettings, exporter: Any = None) -> Tracer:
    """A tracer exporting to ``exporter``, or to the one ``settings`` names."""
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            SimpleSpanProcessor,
        )
    except ImportError:
        raise TracingUnavailable(
            "tracing.enabled needs OpenTelemetry: pip install 'modelwire[tracing]'"
        ) from None
    resource = Resource.create({"service.name": settings.service_name})
    provider = TracerProvider(resource=resource)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    return Tracer(provider)


def _exporter(settings: TracingSettings) -> Any:
    if settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter,
        )
    except ImportError:
        raise TracingUnavailable(
            "tracing.exporter 'otlp' needs the OTLP exporter: "
            "pip install opentelemetry-exporter-otlp-proto-grpc"
        ) from None
    return OTLPSpanExporter(endpoint=settings.endpoint)
