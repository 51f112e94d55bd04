"""The lifecycle API: training, model management and runtime info, as protobuf.

These services live in each library's own proto package, in
``<dir>/<stem>_management.proto``, so that a client compiled from one
library's files has everything it needs, and their fields are numbered
through the library's field lock like every other message. The fixed
messages are described here as unnumbered ``ProtoField`` lists; the train
requests come from each module's ``train()`` signature (``core/training``).
A library gets the lifecycle API when one of its modules can train, or when
``declare_library(..., lifecycle=True)`` asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from modelwire.core.schema import ProtoField, ProtoMethod, ProtoService

TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"
FILE_KIND = "management"

TRAINING_SERVICE = "TrainingService"
MODEL_SERVICE = "ModelManagementService"
INFO_SERVICE = "RuntimeInfoService"

#: Python-side names of the enum values; the wire adds the enum's prefix.
TRAINING_STATES = ("QUEUED", "RUNNING", "COMPLETED", "CANCELED", "ERRORED")
MODEL_STATES = ("NOT_LOADED", "LOADING", "LOADED", "FAILED")


@dataclass(frozen=True)
class FixedEnum:
    name: str
    doc: str
    values: tuple[str, ...]  # numbered from 1 in this order

    def value_name(self, value: str) -> str:
        from modelwire.core.types import snake_case

        return f"{snake_case(self.name).upper()}_{value}"


@dataclass(frozen=True)
class FixedMessage:
    name: str
    doc: str
    #: unnumbered; a ``type`` starting with ``.`` names a type of this package
    fields: tuple[ProtoField, ...]


def _field(
    name: str, type_: str, doc: str = "", *, repeated: bool = False, opt: bool = False
) -> ProtoField:
    is_local = type_.startswith(".")
    is_message = type_ in (TIMESTAMP, DURATION) or (
        is_local and type_[1:] not in _ENUM_NAMES
    )
    return ProtoField(
        name,
        0,
        type_,
        is_message=is_message,
        is_enum=is_local and not is_message,
        repeated=repeated,
        optional=opt,
        doc=doc,
    )


ENUMS = (
    FixedEnum(
        "TrainingState",
        "Where a training is: QUEUED, RUNNING, then COMPLETED, CANCELED or ERRORED.",
        TRAINING_STATES,
    ),
    FixedEnum(
        "ModelState",
        "Whether a model is in memory: NOT_LOADED models load on their first call.",
        MODEL_STATES,
    ),
)
_ENUM_NAMES = {e.name for e in ENUMS}

_STATUS_FIELDS = (
    _field("training_id", "string", "The id the train RPC returned."),
    _field("module_id", "string", "The module that trains."),
    _field("model_name", "string", "The model id the result is saved under."),
    _field("state", ".TrainingState"),
    _field("submitted_at", TIMESTAMP),
    _field("started_at", TIMESTAMP, "Unset while QUEUED."),
    _field("completed_at", TIMESTAMP, "Set once COMPLETED, CANCELED or ERRORED."),
    _field(
        "progress",
        "double",
        "0 to 1, as reported by the module; unset if it reports none.",
        opt=True,
    ),
    _field("progress_message", "string", "The module's last progress note."),
    _field("error", "string", "Why the training ERRORED."),
    _field("deploy", "bool", "Whether the model is served once trained."),
)
_MODEL_INFO_FIELDS = (
    _field("model_id", "string"),
    _field("module_id", "string"),
    _field("module_name", "string"),
    _field("module_version", "string", "The module version that saved the model."),
    _field("size_bytes", "int64", "Size of the model folder on disk."),
    _field("state", ".ModelState"),
    _field("loaded_at", TIMESTAMP, "When the model was last loaded."),
    _field("load_duration", DURATION, "How long the last load took."),
    _field("error", "string", "Why the last load failed, if it did."),
)
_MODULE_INFO_FIELDS = (
    _field("module_id", "string"),
    _field("name", "string"),
    _field("version", "string"),
    _field("task", "string", "The RPC that the module's models serve."),
    _field("train_rpc", "string", "The RPC that trains it; empty if it cannot train."),
)
_ID = _field("training_id", "string")
_MODEL_ID = _field("model_id", "string")

#: Messages shared by several RPCs; the responses named after them copy their fields.
SHARED = (
    FixedMessage("TrainingStatus", "The state of one training.", _STATUS_FIELDS),
    FixedMessage("ModelInfo", "One model known to the runtime.", _MODEL_INFO_FIELDS),
    FixedMessage("ModuleInfo", "One module of the library.", _MODULE_INFO_FIELDS),
    FixedMessage(
        "ModelFile",
        "One file of an uploaded model folder.",
        (
            _field("path", "string", "Relative path inside the model folder."),
            _field("data", "bytes"),
        ),
    ),
)

#: RPC name -> (service, doc, request fields, response fields or a SHARED name)
METHODS: dict[str, tuple[str, str, tuple[ProtoField, ...], Any]] = {
    "GetTrainingStatus": (
        TRAINING_SERVICE,
        "The state of a training; NOT_FOUND for an id never issued.",
        (_ID,),
        "TrainingStatus",
    ),
    "CancelTraining": (
        TRAINING_SERVICE,
        "Stops a QUEUED or RUNNING training; a finished one keeps its state.",
        (_ID,),
        "TrainingStatus",
    ),
    "ListTrainings": (
        TRAINING_SERVICE,
        "Every training the runtime remembers, newest first.",
        (),
        (_field("trainings", ".TrainingStatus", repeated=True),),
    ),
    "DeployModel": (
        MODEL_SERVICE,
        "Copies a model folder into the models directory and loads it.",
        (
            _MODEL_ID,
            _field("path", "string", "A model folder the server can read."),
            _field(
                "files", ".ModelFile", "Or the folder's files, uploaded.", repeated=True
            ),
        ),
        "ModelInfo",
    ),
    "UndeployModel": (
        MODEL_SERVICE,
        "Stops serving a model and deletes its folder; calls in flight finish.",
        (_MODEL_ID,),
        (_MODEL_ID,),
    ),
    "ListModels": (
        MODEL_SERVICE,
        "Every model loaded or found in the models directory.",
        (),
        (_field("models", ".ModelInfo", repeated=True),),
    ),
    "GetModelInfo": (
        MODEL_SERVICE,
        "One model; NOT_FOUND if the runtime does not know it.",
        (_MODEL_ID,),
        "ModelInfo",
    ),
    "GetRuntimeInfo": (
        INFO_SERVICE,
        "The runtime version, the library and its modules.",
        (),
        (
            _field("runtime_version", "string"),
            _field("library", "string", "The Python package served."),
            _field("library_version", "string"),
            _field("proto_package", "string"),
            _field("modules", ".ModuleInfo", repeated=True),
        ),
    ),
}

SERVICE_DOCS = {
    TRAINING_SERVICE: "Trains models in worker processes and reports on them.",
    MODEL_SERVICE: "Deploys, undeploys and describes models.",
    INFO_SERVICE: "What this runtime serves.",
}


def qualify(proto_field: ProtoField, package: str) -> ProtoField:
    """A fixed field with its package-local type name made full."""
    if not proto_field.type.startswith("."):
        return proto_field
    return replace(proto_field, type=f"{package}{proto_field.type}")


@dataclass(frozen=True)
class TrainMethodInfo:
    """What the runtime needs to serve one module's train RPC."""

    name: str
    module: Any  # ModuleSpec
    request_type: str
    response_type: str
    request_codec: Any  # MessageCodec yielding a dict of the set fields


@dataclass(frozen=True)
class LifecycleInfo:
    package: str
    train_methods: tuple[TrainMethodInfo, ...]

    def service(self, short_name: str) -> str:
        return f"{self.package}.{short_name}"

    def type_name(self, short_name: str) -> str:
        return f"{self.package}.{short_name}"


def services(package: str, train_rpcs: list[ProtoMethod]) -> tuple[ProtoService, ...]:
    """The three services, train RPCs first in the training service."""
    grouped: dict[str, list[ProtoMethod]] = {
        TRAINING_SERVICE: list(train_rpcs),
        MODEL_SERVICE: [],
        INFO_SERVICE: [],
    }
    for name, (service, doc, _, _) in METHODS.items():
        grouped[service].append(
            ProtoMethod(
                name, f"{package}.{name}Request", f"{package}.{name}Response", doc=doc
            )
        )
    return tuple(
        ProtoService(
            name, f"{package}.{name}", tuple(methods), SERVICE_DOCS[name], False
        )
        for name, methods in grouped.items()
    )
