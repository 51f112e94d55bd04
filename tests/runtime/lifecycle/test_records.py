"""Training records in SQLite: kept across opens; unfinished ones closed with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from modelwire.runtime.training.records import (
    INTERRUPTED_QUEUED,
    INTERRUPTED_RUNNING,
    JobRecord,
    JobState,
    JobStore,
)


def record(training_id: str, state: JobState, **changes) -> JobRecord:
    submitted = datetime(2026, 1, 1, 12, 0, int(training_id[-1]), tzinfo=UTC)
    return JobRecord(training_id, "m.mod", "model", True, state, submitted, **changes)


def test_records_survive_reopening_and_unfinished_ones_become_errored(tmp_path):
    """Reopening keeps finished records and marks QUEUED/RUNNING ones ERRORED."""
    path = tmp_path / "jobs.sqlite3"
    store = JobStore.open(path)
    done = record("id1", JobState.COMPLETED, progress=1.0, progress_message="é ✓")
    store.put(done)
    store.put(record("id2", JobState.RUNNING, progress=0.5))
    store.put(record("id3", JobState.QUEUED))
    store.close()

    reopened = JobStore.open(path)
    assert reopened.get("id1") == done
    running, queued = reopened.get("id2"), reopened.get("id3")
    assert (running.state, running.error) == (JobState.ERRORED, INTERRUPTED_RUNNING)
    assert (queued.state, queued.error) == (JobState.ERRORED, INTERRUPTED_QUEUED)
    assert running.completed_at is not None and running.progress == 0.5
    assert [r.training_id for r in reopened.list()] == ["id3", "id2", "id1"]
    assert reopened.get("never") is None
    reopened.close()
