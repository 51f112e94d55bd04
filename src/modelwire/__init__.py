"""modelwire: typed Python model wrappers served as versioned gRPC contracts."""

from modelwire.core.dataobject import dataobject
from modelwire.core.errors import CallError, LockError, SchemaError
from modelwire.core.fields import field
from modelwire.core.model_dir import ModelConfig, read_config, save_model
from modelwire.core.modules import ModuleBase, module
from modelwire.core.registry import REGISTRY
from modelwire.core.tasks import task
from modelwire.core.training import report_progress
from modelwire.core.types import (
    Branch,
    ProtoScalar,
    fixed32,
    fixed64,
    float32,
    float64,
    int32,
    int64,
    sfixed32,
    sfixed64,
    sint32,
    sint64,
    uint32,
    uint64,
)

__version__ = "0.1.0"


def declare_library(
    py_package: str, proto_package: str | None = None, lifecycle: bool | None = None
) -> None:
    """Give a Python package its proto package, e.g. ``("acme", "acme.nlp.v2")``.

    ``lifecycle=True`` adds the training, model management and info services
    even when no module defines ``train()``; ``False`` leaves them out.
    """
    REGISTRY.declare_library(py_package, proto_package, lifecycle)


__all__ = [
    "REGISTRY",
    "Branch",
    "CallError",
    "LockError",
    "ModelConfig",
    "ModuleBase",
    "ProtoScalar",
    "SchemaError",
    "__version__",
    "dataobject",
    "declare_library",
    "field",
    "fixed32",
    "fixed64",
    "float32",
    "float64",
    "int32",
    "int64",
    "module",
    "read_config",
    "report_progress",
    "save_model",
    "sfixed32",
    "sfixed64",
    "sint32",
    "sint64",
    "task",
    "uint32",
    "uint64",
]
