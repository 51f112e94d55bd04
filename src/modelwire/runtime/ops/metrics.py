"""Prometheus metrics on their own port.

Request metrics are recorded by ``calls.CallObserver`` through children
bound once per method and model, so a call costs a dictionary lookup and
the increments. Model and training metrics are read at scrape time from
their owners (the model store, a training job source), so they cost nothing
between scrapes and never drift from the truth.

Training subsystems report through ``RuntimeMetrics.watch_training_jobs``:
a function returning the number of jobs per state name, called at each
scrape (see ``metrics_of`` to find the runtime's metrics).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector

from modelwire.runtime.model_store import ModelState, ModelStore
from modelwire.runtime.server import RuntimeExtension

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from modelwire.runtime.server import Runtime

logger = logging.getLogger(__name__)
#: seconds; from sub-millisecond echo calls up to slow model loads in a call
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
TrainingJobsSource = Callable[[], Mapping[str, int]]


class RuntimeMetrics:
    """The runtime's metrics, in a registry of their own (one per runtime)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        call_labels = ["protocol", "service", "method", "model"]
        self.requests = Counter(
            "modelwire_requests",
            "Finished requests by gRPC status code.",
            [*call_labels, "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "modelwire_request_duration_seconds",
            "Time from a request's arrival to its last response byte handed over.",
            call_labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "modelwire_requests_in_flight",
            "Requests being served now.",
            ["protocol", "service", "method"],
            registry=self.registry,
        )
        self._state = _StateCollector()
        self.registry.register(self._state)

    def watch_store(self, store: ModelStore) -> None:
        self._state.store = store

    def watch_training_jobs(self, source: TrainingJobsSource) -> None:
        """Reports ``source()`` (jobs per state name) as ``modelwire_training_jobs``."""
        self._state.training_sources.append(source)


class _StateCollector(Collector):
    """Model and training metrics, read from their owners at scrape time."""

    def __init__(self) -> None:
        self.store: ModelStore | None = None
        self.training_sources: list[TrainingJobsSource] = []

    def describe(self) -> list[Any]:
        return list(self._families(None, []))

    def collect(self) -> Iterator[Any]:
        return self._families(self.store, self.training_sources)

    def _families(
        self, store: ModelStore | None, sources: list[TrainingJobsSource]
    ) -> Iterator[Any]:
        loaded = GaugeMetricFamily(
            "modelwire_models_loaded", "Models ready to serve calls."
        )
        states = GaugeMetricFamily(
            "modelwire_models", "Models the runtime knows, by state.", labels=["state"]
        )
        load_time = GaugeMetricFamily(
            "modelwire_model_load_seconds",
            "How long loading each loaded model took.",
            labels=["model", "module"],
        )
        training = GaugeMetricFamily(
            "modelwire_training_jobs", "Training jobs by state.", labels=["state"]
        )
        if store is not None:
            _add_model_samples(store, loaded, states, load_time)
        for state, count in _training_counts(sources).items():
            training.add_metric([state], count)
        yield from (loaded, states, load_time, training)


def _add_model_samples(
    store: ModelStore,
    loaded: GaugeMetricFamily,
    states: GaugeMetricFamily,
    load_time: GaugeMetricFamily,
) -> None:
    records = store.records()
    loaded.add_metric([], len(store.ids()))
    for state in ModelState:
        count = sum(1 for r in records if r.state is state)
        states.add_metric([state.value], count)
    for record in records:
        if record.state is ModelState.LOADED and record.load_seconds is not None:
            load_time.add_metric(
                [record.model_id, record.module_id], record.load_seconds
            )


def _training_counts(sources: list[TrainingJobsSource]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for source in sources:
        try:
            reported = source()
        except Exception:
            logger.exception("the training job source failed; its jobs are left out")
            continue
        for state, count in reported.items():
            counts[state] = counts.get(state, 0) + count
    return counts


class MetricsExtension(RuntimeExtension):
    """Serves ``metrics`` in the Prometheus text format on ``host:port``."""

    def __init__(
        self, metrics: RuntimeMetrics, host: str = "127.0.0.1", port: int = 9095
    ) -> None:
        self.metrics = metrics
        self.host, self.port = host, port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def install(self, runtime: Runtime) -> None:
        self.metrics.watch_store(runtime.store)

    def start(self) -> None:
        try:
            server, thread = start_http_server(
                self.port, self.host, registry=self.metrics.registry
            )
        except OSError as exc:
            raise OSError(
                f"metrics cannot listen on {self.host}:{self.port}: {exc}"
            ) from None
        self._server, self._thread = server, thread
        self.port = server.server_address[1]
        logger.info("metrics on %s", self.url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"


def metrics_of(runtime: Runtime) -> RuntimeMetrics | None:
    """The metrics a runtime reports, for subsystems that add to them."""
    for extension in runtime.extensions:
        if isinstance(extension, MetricsExtension):
            return extension.metrics
    return None
