"""The train RPCs and the training service, as ``UnaryMethod``s on messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from modelwire.core.build import Built
from modelwire.core.lifecycle import ENUMS, TRAINING_SERVICE, LifecycleInfo
from modelwire.core.lifecycle import TrainMethodInfo as TrainMethod
from modelwire.core.training import DEPLOY_FIELD, MODEL_NAME_FIELD
from modelwire.runtime.model_store import check_model_id
from modelwire.runtime.server import UnaryMethod
from modelwire.runtime.status import Failure
from modelwire.runtime.training.data import resolve_data_file
from modelwire.runtime.training.manager import TrainingManager, TrainingRequest
from modelwire.runtime.training.records import JobRecord

_TRAINING_STATE = ENUMS[0]


def training_methods(
    lifecycle: LifecycleInfo,
    built: Built,
    trainings: TrainingManager | None,
    data_dir: Path | None,
) -> list[UnaryMethod]:
    """One method per train RPC, then GetTrainingStatus, CancelTraining, ListTrainings.

    Without a manager (no writable models directory) every call answers
    FAILED_PRECONDITION, so the RPCs are still served, never dropped.
    """
    classes = built.message_classes

    def manager() -> TrainingManager:
        if trainings is None:
            raise Failure(
                grpc.StatusCode.FAILED_PRECONDITION,
                "this server cannot train: it needs a writable models directory "
                "(--models) for the trained models and the training records",
            )
        return trainings

    package = lifecycle.package
    service = lifecycle.service(TRAINING_SERVICE)

    def method(name: str, call: Callable[[Any], Any], request: str = "") -> UnaryMethod:
        request_class = classes[request or f"{package}.{name}Request"]
        return UnaryMethod(package, service, name, request_class, call)

    def reply(name: str) -> Any:
        return classes[f"{package}.{name}Response"]

    methods = [
        method(
            train.name,
            _train_call(train, classes[train.response_type], manager, data_dir),
            train.request_type,
        )
        for train in lifecycle.train_methods
    ]

    def get_status(request: Any) -> Any:
        record = manager().status(request.training_id)
        return fill_status(reply("GetTrainingStatus")(), record)

    def cancel(request: Any) -> Any:
        record = manager().cancel(request.training_id)
        return fill_status(reply("CancelTraining")(), record)

    def list_trainings(request: Any) -> Any:
        response = reply("ListTrainings")()
        for record in manager().list():
            fill_status(response.trainings.add(), record)
        return response

    methods += [
        method("GetTrainingStatus", get_status),
        method("CancelTraining", cancel),
        method("ListTrainings", list_trainings),
    ]
    return methods


def _train_call(
    train: TrainMethod,
    response_class: Any,
    manager: Callable[[], TrainingManager],
    data_dir: Path | None,
) -> Callable[[Any], Any]:
    def call(request: Any) -> Any:
        submit = manager().submit
        checked = training_request(train, request, data_dir)
        return fill_status(response_class(), submit(checked))

    return call


def training_request(
    train: TrainMethod, request: Any, data_dir: Path | None
) -> TrainingRequest:
    """Checks a train request: model name, exactly one data source, the file's place."""
    spec = train.module.training
    values = dict(train.request_codec.decode_message(request))
    model_name = values.pop(MODEL_NAME_FIELD, "")
    try:
        check_model_id(model_name)
    except ValueError as exc:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT, f"{MODEL_NAME_FIELD}: {exc}"
        ) from None
    examples = values.pop(spec.data_param, [])
    data_file = values.pop(spec.data_file_field, "")
    if examples and data_file:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"set either {spec.data_param} (inline) or {spec.data_file_field}, not both",
        )
    if not examples and not data_file:
        raise Failure(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"no training data: send examples in {spec.data_param} or name a JSON "
            f"Lines or CSV file of the data directory in {spec.data_file_field}",
        )
    path = resolve_data_file(data_file, data_dir) if data_file else None
    return TrainingRequest(
        module=train.module,
        model_name=model_name,
        deploy=values.pop(DEPLOY_FIELD, True),
        examples_json=tuple(example.to_json() for example in examples),
        data_file=path,
        params={
            p.py_name: values[p.py_name] for p in spec.params if p.py_name in values
        },
    )


def fill_status(message: Any, record: JobRecord) -> Any:
    """Sets the ``TrainingStatus`` fields of ``message`` (any message with them)."""
    message.training_id = record.training_id
    message.module_id = record.module_id
    message.model_name = record.model_name
    message.state = _enum_number(message, "state", _TRAINING_STATE, record.state.value)
    message.submitted_at.FromDatetime(record.submitted_at)
    if record.started_at is not None:
        message.started_at.FromDatetime(record.started_at)
    if record.completed_at is not None:
        message.completed_at.FromDatetime(record.completed_at)
    if record.progress is not None:
        message.progress = record.progress
    message.progress_message = record.progress_message
    message.error = record.error
    message.deploy = record.deploy
    return message


def _enum_number(message: Any, field: str, fixed: Any, value: str) -> int:
    enum_type = message.DESCRIPTOR.fields_by_name[field].enum_type
    return enum_type.values_by_name[fixed.value_name(value)].number
