"""Runs trainings in worker processes, one record per training.

Each running training has a watcher thread that reads the worker's pipe
until end-of-file, reaps the process and then settles the outcome under the
manager's lock: COMPLETED (model moved into place, and loaded when asked),
CANCELED or ERRORED. Settling in one place keeps the rules simple: a
training that finished stays finished, whatever cancel arrives late.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import grpc

from modelwire.core.modules import ModuleSpec
from modelwire.runtime.model_store import ModelStore
from modelwire.runtime.status import Failure
from modelwire.runtime.training.records import (
    INTERRUPTED_QUEUED,
    INTERRUPTED_RUNNING,
    JobRecord,
    JobState,
    JobStore,
)
from modelwire.runtime.training.worker import TrainingOrder, run_training

logger = logging.getLogger(__name__)
#: Seconds a worker gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE = 1.0
#: Least seconds between two progress writes of one training to the database.
PROGRESS_WRITE_INTERVAL = 0.25
#: Folder under the models directory for models trained with deploy=false.
TRAINED_DIR = ".trained"
_WORK_PREFIX = ".training-"
#: Why a worker is being stopped: a cancel, or the server stopping.
_CANCELED = "canceled"
_STOPPED = "stopped"


@dataclass(frozen=True)
class TrainingRequest:
    """A checked train call."""

    module: ModuleSpec
    model_name: str
    deploy: bool
    examples_json: tuple[str, ...]
    data_file: Path | None
    params: dict[str, Any]


@dataclass
class _Job:
    record: JobRecord
    order: TrainingOrder
    process: BaseProcess | None = None
    #: why the worker is being stopped: _CANCELED or _STOPPED
    stop_reason: str = ""
    #: the worker finished and its model is being moved into place
    settling: bool = False
    finished: threading.Event = field(default_factory=threading.Event)
    last_write: float = 0.0


class TrainingManager:
    """Queues, runs, cancels and remembers trainings."""

    def __init__(
        self,
        jobs: JobStore,
        store: ModelStore,
        models_dir: Path,
        library: str,
        app_dir: Path | None = None,
        max_running: int = 1,
    ) -> None:
        self.jobs = jobs
        self.store = store
        self.models_dir = Path(models_dir)
        self.library = library
        self.app_dir = app_dir
        self.max_running = max(1, max_running)
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._active: dict[str, _Job] = {}
        self._queue: deque[_Job] = deque()
        self._closed = False
        self._remove_leftovers()

    # ------------------------------------------------------------- calls

    def submit(self, request: TrainingRequest) -> JobRecord:
        training_id = uuid.uuid4().hex
        record = JobRecord(
            training_id,
            request.module.id,
            request.model_name,
            request.deploy,
            JobState.QUEUED,
            datetime.now(UTC),
        )
        order = TrainingOrder(
            training_id=training_id,
            library=self.library,
            app_dir=str(self.app_dir) if self.app_dir else None,
            module_id=request.module.id,
            examples_json=request.examples_json,
            data_file=str(request.data_file) if request.data_file else None,
            params=request.params,
            out_dir=str(self._work_dir(training_id) / "model"),
        )
        with self._lock:
            if self._closed:
                raise Failure(grpc.StatusCode.UNAVAILABLE, "the server is stopping")
            self._check_name_free(request.model_name, request.deploy)
            job = _Job(record, order)
            self.jobs.put(record)
            self._active[training_id] = job
            self._queue.append(job)
            self._start_queued()
        logger.info(
            "training %s of %s as model %s queued",
            training_id,
            record.module_id,
            record.model_name,
        )
        return record

    def status(self, training_id: str) -> JobRecord:
        job = self._active.get(training_id)
        if job is not None:
            return job.record
        record = self.jobs.get(training_id)
        if record is None:
            raise Failure(
                grpc.StatusCode.NOT_FOUND,
                f"no training with id {training_id!r}; ListTrainings shows the "
                "known ones",
            )
        return record

    def list(self) -> list[JobRecord]:
        with self._lock:
            active = {i: j.record for i, j in self._active.items()}
        stored = self.jobs.list()
        return [active.get(r.training_id, r) for r in stored]

    def cancel(self, training_id: str) -> JobRecord:
        """Stops a queued or running training; a finished one keeps its state."""
        with self._lock:
            job = self._active.get(training_id)
            if job is None:
                return self.status(training_id)
            if job.record.state is JobState.QUEUED:
                self._queue.remove(job)
                self._settle(job, JobState.CANCELED)
                return job.record
            if not job.settling:
                job.stop_reason = job.stop_reason or _CANCELED
        if job.stop_reason:
            _stop_process(job.process)
        # The watcher reaps the worker and writes the final state.
        job.finished.wait(timeout=30)
        return self.status(training_id)

    def close(self) -> None:
        """Stops every worker; their trainings become ERRORED with the reason."""
        with self._lock:
            self._closed = True
            while self._queue:
                job = self._queue.popleft()
                self._settle(job, JobState.ERRORED, INTERRUPTED_QUEUED)
            running = [j for j in self._active.values() if not j.settling]
            for job in running:
                job.stop_reason = _STOPPED
        for job in running:
            _stop_process(job.process)
        for job in list(self._active.values()):
            job.finished.wait(timeout=30)
        self.jobs.close()

    # ---------------------------------------------------------- workers

    def _start_queued(self) -> None:
        """Starts queued trainings while fewer than ``max_running`` run (lock held)."""
        running = sum(1 for j in self._active.values() if j.process is not None)
        while self._queue and running < self.max_running:
            self._start(self._queue.popleft())
            running += 1

    def _start(self, job: _Job) -> None:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=run_training,
            args=(job.order, sender),
            name=f"training-{job.record.training_id}",
            daemon=True,
        )
        self._work_dir(job.record.training_id).mkdir(parents=True, exist_ok=True)
        process.start()
        # Only the worker holds the sending end now, so its exit ends the pipe.
        sender.close()
        job.process = process
        self._update(
            job, state=JobState.RUNNING, started_at=datetime.now(UTC), write=True
        )
        threading.Thread(
            target=self._watch,
            args=(job, receiver),
            name=f"watch-{job.record.training_id[:8]}",
            daemon=True,
        ).start()

    def _watch(self, job: _Job, pipe: Connection) -> None:
        outcome = ("", "")  # stays empty when the worker dies without a word
        while True:
            try:
                message = pipe.recv()
            except (EOFError, OSError):
                break
            if message[0] == "progress":
                self._progress(job, message[1], message[2])
            else:
                outcome = message
        pipe.close()
        assert job.process is not None
        job.process.join()
        code = job.process.exitcode
        try:
            self._finish(job, outcome, code)
        except Exception:
            logger.exception("training %s could not be settled", job.record.training_id)
            with self._lock:
                self._settle(
                    job, JobState.ERRORED, "the server failed to store the model"
                )

    def _finish(self, job: _Job, outcome: tuple[str, str], code: int | None) -> None:
        with self._lock:
            if job.stop_reason:
                if job.stop_reason == _STOPPED:
                    self._settle(job, JobState.ERRORED, INTERRUPTED_RUNNING)
                else:
                    self._settle(job, JobState.CANCELED)
                return
            job.settling = True
        if outcome[0] == "done" and code == 0:
            state, error = self._place_model(job)
        elif outcome[0] == "error":
            state, error = JobState.ERRORED, outcome[1]
        else:
            state, error = JobState.ERRORED, _crash_reason(code)
        with self._lock:
            self._settle(job, state, error)

    def _place_model(self, job: _Job) -> tuple[JobState, str]:
        """Moves the saved model into place (one rename) and loads it if asked."""
        name = job.record.model_name
        saved = Path(job.order.out_dir)
        target = self._target(name, job.record.deploy)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not job.record.deploy and target.exists():
            shutil.rmtree(target)
        try:
            saved.rename(target)
        except OSError:
            return JobState.ERRORED, (
                f"a model named {name!r} was deployed while this training ran; "
                "the trained model was discarded"
            )
        if not job.record.deploy:
            return JobState.COMPLETED, ""
        try:
            self.store.load(name, target)
        except Exception as exc:
            logger.exception("model %s trained but not loadable", name)
            self.store.unload(name)
            shutil.rmtree(target, ignore_errors=True)
            return JobState.ERRORED, f"the trained model could not be loaded: {exc}"
        return JobState.COMPLETED, ""

    def _settle(self, job: _Job, state: JobState, error: str = "") -> None:
        """Writes the final state (lock held) and starts what waits."""
        self._update(
            job, state=state, error=error, completed_at=datetime.now(UTC), write=True
        )
        shutil.rmtree(self._work_dir(job.record.training_id), ignore_errors=True)
        self._active.pop(job.record.training_id, None)
        job.finished.set()
        logger.info(
            "training %s %s%s",
            job.record.training_id,
            state.value,
            f": {error}" if error else "",
        )
        if not self._closed:
            self._start_queued()

    def _progress(self, job: _Job, fraction: float, note: str) -> None:
        now = time.monotonic()
        write = now - job.last_write >= PROGRESS_WRITE_INTERVAL
        self._update(job, progress=fraction, progress_message=note, write=write)

    def _update(self, job: _Job, *, write: bool, **changes: Any) -> None:
        job.record = replace(job.record, **changes)
        if write:
            job.last_write = time.monotonic()
            self.jobs.put(job.record)

    # ------------------------------------------------------------ folders

    def _check_name_free(self, name: str, deploy: bool) -> None:
        taken = any(
            j.record.model_name == name and j.record.deploy
            for j in self._active.values()
        )
        if deploy and (
            taken or self.store.record(name) or self._target(name, True).exists()
        ):
            raise Failure(
                grpc.StatusCode.ALREADY_EXISTS,
                f"a model named {name!r} is already deployed or being trained; "
                "undeploy it first or choose another model_name",
            )

    def _target(self, name: str, deploy: bool) -> Path:
        if deploy:
            return self.models_dir / name
        return self.models_dir / TRAINED_DIR / name

    def trained_path(self, name: str) -> Path:
        """Where a training with deploy=false saved model ``name``."""
        return self._target(name, False)

    def _work_dir(self, training_id: str) -> Path:
        return self.models_dir / f"{_WORK_PREFIX}{training_id}"

    def _remove_leftovers(self) -> None:
        """Work folders of trainings a previous server did not finish."""
        if not self.models_dir.is_dir():
            return
        for folder in self.models_dir.glob(f"{_WORK_PREFIX}*"):
            shutil.rmtree(folder, ignore_errors=True)


def _stop_process(process: BaseProcess | None) -> None:
    """SIGTERM, then SIGKILL if the worker is still there after the grace period."""
    if process is None or process.exitcode is not None:
        return
    process.terminate()
    # Waiting on the sentinel, not join(): the watcher thread reaps the process.
    if not wait([process.sentinel], timeout=TERMINATE_GRACE):
        process.kill()
        wait([process.sentinel], timeout=TERMINATE_GRACE)


def _crash_reason(code: int | None) -> str:
    if code is not None and code < 0:
        return f"the training process was killed by signal {-code}"
    return f"the training process exited with code {code} before it finished"
