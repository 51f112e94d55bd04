"""Training jobs by state show in the Prometheus metrics."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from modelwire.runtime.ops.metrics import MetricsExtension, RuntimeMetrics
from runtime.lifecycle.test_training import train_memo


def training_jobs(url: str) -> dict[str, float]:
    """modelwire_training_jobs by state, from one scrape."""
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200
    return {
        sample.labels["state"]: sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "modelwire_training_jobs"
    }


def test_completed_and_failed_trainings_are_counted(start_server):
    metrics = MetricsExtension(RuntimeMetrics(), port=0)
    server = start_server(extra=[metrics])
    done = train_memo(server, "counted", rounds=1)
    assert server.state(server.wait(done.training_id)) == "COMPLETED"
    failed = train_memo(server, "broken", rows=[("bad", "SAD")])
    assert server.state(server.wait(failed.training_id)) == "ERRORED"

    jobs = training_jobs(metrics.url)
    assert jobs.get("COMPLETED") == 1 and jobs.get("ERRORED") == 1
    assert jobs.get("RUNNING", 0) == 0
