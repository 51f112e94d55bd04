"""A client of the lifecycle API, built only from the compiled stubs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc

from modelwire.runtime.server import Runtime

#: Upper bound for waits on trainings (spawning a worker imports the library).
TRAINING_TIMEOUT = 120.0
FINISHED = ("COMPLETED", "CANCELED", "ERRORED")


class Lifecycle:
    """Stubs for a runtime's services; ``runtime`` is None for one in another process."""

    def __init__(
        self,
        runtime: Runtime | None,
        channel: grpc.Channel,
        api: SimpleNamespace,
        models: Path,
        data: Path,
    ) -> None:
        self.runtime = runtime
        self.channel = channel
        self.api = api
        self.models = models
        self.data = data
        self.http: str | None = None
        self.training = api.mgmt_grpc.TrainingServiceStub(channel)
        self.manage = api.mgmt_grpc.ModelManagementServiceStub(channel)
        self.info = api.mgmt_grpc.RuntimeInfoServiceStub(channel)
        self.tasks = api.svc_grpc.TrainwireServiceStub(channel)

    def close(self) -> None:
        self.channel.close()
        if self.runtime is not None:
            self.runtime.stop(grace=0)

    # ------------------------------------------------------------ helpers

    def examples(self, *rows: tuple[str, str]) -> list[Any]:
        return [
            self.api.types.Example(text=text, mood=self.mood(mood))
            for text, mood in rows
        ]

    def mood(self, name: str) -> int:
        return self.api.types.Mood.Value(f"MOOD_{name}")

    def state(self, status: Any) -> str:
        name = self.api.mgmt.TrainingState.Name(status.state)
        return name.removeprefix("TRAINING_STATE_")

    def model_state(self, info: Any) -> str:
        return self.api.mgmt.ModelState.Name(info.state).removeprefix("MODEL_STATE_")

    def status(self, training_id: str) -> Any:
        request = self.api.mgmt.GetTrainingStatusRequest(training_id=training_id)
        return self.training.GetTrainingStatus(request, timeout=10)

    def wait(self, training_id: str, states: tuple[str, ...] = FINISHED) -> Any:
        """Polls GetTrainingStatus until the training is in one of ``states``."""
        deadline = time.monotonic() + TRAINING_TIMEOUT
        while True:
            status = self.status(training_id)
            if self.state(status) in states:
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"training still {self.state(status)}")
            time.sleep(0.05)

    def cancel(self, training_id: str) -> Any:
        request = self.api.mgmt.CancelTrainingRequest(training_id=training_id)
        return self.training.CancelTraining(request, timeout=30)

    def guess(self, model_id: str, text: str) -> Any:
        request = self.api.svc.GuessMoodRequest(text=text)
        return self.tasks.GuessMood(
            request, metadata=[("mm-model-id", model_id)], timeout=30
        )

    def model_info(self, model_id: str) -> Any:
        request = self.api.mgmt.GetModelInfoRequest(model_id=model_id)
        return self.manage.GetModelInfo(request, timeout=10)


def code_of(call: Any, *args: Any, **kwargs: Any) -> grpc.StatusCode:
    """The status code a call fails with; fails the test if it succeeds."""
    try:
        call(*args, **kwargs)
    except grpc.RpcError as exc:
        return exc.code()
    raise AssertionError("the call succeeded")


def process_gone(pid: int) -> bool:
    """True when no process, not even an unreaped zombie, has this id."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_for(predicate: Any, what: str, timeout: float = TRAINING_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def tree(folder: Path) -> list[str]:
    """Every path under ``folder``, for before/after comparisons."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
