"""Training job records, kept in SQLite so that they outlive the server.

One row per training. The server writes every state change at once and
progress at most a few times a second. A row still QUEUED or RUNNING when a
server starts belongs to a server that died; ``JobStore.open`` marks it
ERRORED with that reason, so no training is ever left RUNNING for good.
"""

from __future__ import annotations

import enum
import sqlite3
import threading
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The reasons given to trainings that a server stop or crash interrupted.
INTERRUPTED_RUNNING = "the server stopped while this training was running"
INTERRUPTED_QUEUED = "the server stopped before this training started"


class JobState(enum.Enum):
    """Names match the lifecycle API's ``TrainingState`` values."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    ERRORED = "ERRORED"

    @property
    def finished(self) -> bool:
        return self in (JobState.COMPLETED, JobState.CANCELED, JobState.ERRORED)


@dataclass(frozen=True)
class JobRecord:
    training_id: str
    module_id: str
    model_name: str
    deploy: bool
    state: JobState
    submitted_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    progress: float | None = None
    progress_message: str = ""
    error: str = ""


_COLUMNS = tuple(f.name for f in fields(JobRecord))
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS trainings (
    {_COLUMNS[0]} TEXT PRIMARY KEY,
    {", ".join(_COLUMNS[1:])}
)
"""


class JobStore:
    """The ``trainings`` table of one SQLite file; safe to use from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    @classmethod
    def open(cls, path: Path) -> JobStore:
        """Opens the file and closes the books on trainings a dead server left."""
        store = cls(path)
        store.fail_unfinished()
        return store

    def fail_unfinished(self) -> list[str]:
        """Marks every QUEUED or RUNNING training ERRORED; returns their ids."""
        unfinished = [
            r for r in self.list() if r.state in (JobState.QUEUED, JobState.RUNNING)
        ]
        now = datetime.now(UTC)
        for record in unfinished:
            reason = (
                INTERRUPTED_RUNNING
                if record.state is JobState.RUNNING
                else INTERRUPTED_QUEUED
            )
            self.put(
                replace(record, state=JobState.ERRORED, error=reason, completed_at=now)
            )
        return [r.training_id for r in unfinished]

    def put(self, record: JobRecord) -> None:
        values = [_to_column(getattr(record, name)) for name in _COLUMNS]
        marks = ", ".join("?" for _ in _COLUMNS)
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO trainings ({', '.join(_COLUMNS)}) "
                f"VALUES ({marks})",
                values,
            )

    def get(self, training_id: str) -> JobRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM trainings WHERE training_id = ?",
                (training_id,),
            ).fetchone()
        return None if row is None else _from_row(row)

    def list(self) -> list[JobRecord]:
        """Every record, newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM trainings "
                "ORDER BY submitted_at DESC, training_id"
            ).fetchall()
        return [_from_row(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _to_column(value: Any) -> Any:
    if isinstance(value, JobState):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _from_row(row: tuple[Any, ...]) -> JobRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in ("submitted_at", "started_at", "completed_at"):
        if values[name] is not None:
            values[name] = datetime.fromisoformat(values[name])
    values["state"] = JobState(values["state"])
    values["deploy"] = bool(values["deploy"])
    return JobRecord(**values)
