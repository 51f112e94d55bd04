"""The Prometheus scrape shows the counts of the calls this test made."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from modelwire.runtime.ops.metrics import metrics_of
from modelwire.runtime.server import Runtime
from runtime.ops.support import (
    SERVICE,
    call,
    gateway_of,
    metrics_url,
    models,
    ops_config,
    running,
)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Iterator[Runtime]:
    with running(ops_config(models(tmp_path_factory.mktemp("metrics")))) as server:
        yield server


def scrape(runtime: Runtime) -> dict[str, list]:
    """Samples by metric name from one scrape of the metrics port."""
    answer = httpx.get(metrics_url(runtime), timeout=30)
    assert answer.status_code == 200
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list], name: str, **labels: str) -> float:
    matching = [
        s.value
        for s in samples.get(name, [])
        if all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(matching) == 1, f"{name} {labels}: {samples.get(name)}"
    return matching[0]


def test_request_counts_latency_and_in_flight(runtime):
    with grpc.insecure_channel(runtime.address) as channel:
        for _ in range(5):
            call(channel, runtime, "Echo", "echo", text="hi")
        for _ in range(3):
            call(channel, runtime, "Grow", "grow", text="a", times=2)
        for _ in range(2):
            with pytest.raises(grpc.RpcError):
                call(channel, runtime, "Echo", "no-such-model", text="hi")
        with pytest.raises(grpc.RpcError):
            call(channel, runtime, "Echo", "grow", text="wrong task")
    url = f"{gateway_of(runtime).url}/opstest.v1/models/echo/Echo"
    for _ in range(4):
        assert httpx.post(url, json={"text": "web"}, timeout=30).status_code == 200
    assert httpx.post(url, json={"text": 5}, timeout=30).status_code == 400

    samples = scrape(runtime)
    total = "modelwire_requests_total"
    grpc_echo = {"protocol": "grpc", "service": SERVICE, "method": "Echo"}
    assert value(samples, total, **grpc_echo, model="echo", code="OK") == 5
    assert (
        value(samples, total, protocol="grpc", method="Grow", model="grow", code="OK")
        == 3
    )
    assert value(samples, total, **grpc_echo, model="(unknown)", code="NOT_FOUND") == 2
    assert (
        value(samples, total, **grpc_echo, model="grow", code="INVALID_ARGUMENT") == 1
    )
    http_echo = {"protocol": "http", "method": "Echo", "model": "echo"}
    assert value(samples, total, **http_echo, code="OK") == 4
    assert value(samples, total, **http_echo, code="INVALID_ARGUMENT") == 1

    latency = "modelwire_request_duration_seconds_count"
    assert value(samples, latency, **grpc_echo, model="echo") == 5
    assert value(samples, latency, protocol="http", method="Echo", model="echo") == 5
    buckets = [
        s
        for s in samples["modelwire_request_duration_seconds_bucket"]
        if s.labels["model"] == "echo" and s.labels["protocol"] == "grpc"
    ]
    assert max(s.value for s in buckets) == 5  # the +Inf bucket holds every call
    in_flight = "modelwire_requests_in_flight"
    assert value(samples, in_flight, **grpc_echo) == 0


def test_model_metrics_come_from_the_store(runtime):
    samples = scrape(runtime)
    assert value(samples, "modelwire_models_loaded") == 2
    assert value(samples, "modelwire_models", state="LOADED") == 2
    for model_id, module in (("echo", "opslib.echo"), ("grow", "opslib.grow")):
        assert (
            value(
                samples, "modelwire_model_load_seconds", model=model_id, module=module
            )
            >= 0
        )

    runtime.store.unload("grow")
    try:
        samples = scrape(runtime)
        assert value(samples, "modelwire_models_loaded") == 1
        assert not any(
            s.labels["model"] == "grow" for s in samples["modelwire_model_load_seconds"]
        )
    finally:
        runtime.store.load("grow", runtime.startup_models / "grow")


def test_training_jobs_by_state_from_a_registered_source(runtime):
    metrics = metrics_of(runtime)
    assert metrics is not None
    jobs = {"RUNNING": 2, "COMPLETED": 5}
    metrics.watch_training_jobs(lambda: jobs)
    samples = scrape(runtime)
    assert value(samples, "modelwire_training_jobs", state="RUNNING") == 2
    assert value(samples, "modelwire_training_jobs", state="COMPLETED") == 5
    jobs["RUNNING"] = 1
    assert value(scrape(runtime), "modelwire_training_jobs", state="RUNNING") == 1
