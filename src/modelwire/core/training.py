"""What a module's ``train()`` takes, read from its signature, and how it reports progress.

A module becomes trainable by defining a classmethod::

    @classmethod
    def train(cls, examples: Sequence[Example], epochs: int = 10) -> Self: ...

The first parameter is the training data: a sequence of one data object.
Every other parameter needs a default; it becomes an optional field of the
train request, and an unset field lets that default apply. Progress is
reported from anywhere inside ``train()`` with ``report_progress``; outside
a training (a test calling ``train()`` directly) it does nothing.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass
from typing import Any, get_args, get_origin

from modelwire.core.errors import SchemaError
from modelwire.core.fields import FieldSpec, spec_from_annotation
from modelwire.core.types import is_dataobject, pascal_case

#: Request fields every train RPC has; a train() parameter may not use them.
MODEL_NAME_FIELD = "model_name"
DEPLOY_FIELD = "deploy"
#: Suffix of the field that names a data file instead of inline examples.
FILE_SUFFIX = "_file"

_SEQUENCES = (
    list,
    collections.abc.Sequence,
    collections.abc.Iterable,
    collections.abc.Iterator,
    collections.abc.Collection,
)


@dataclass(frozen=True)
class TrainingSpec:
    """The train RPC of one module."""

    #: RPC name, ``Train`` + the module class name
    rpc_name: str
    #: the parameter that receives the examples, and their data object class
    data_param: str
    data_type: type
    #: every other parameter; each has a default
    params: tuple[FieldSpec, ...]

    @property
    def data_file_field(self) -> str:
        return self.data_param + FILE_SUFFIX

    @property
    def request_name(self) -> str:
        return f"{self.rpc_name}Request"

    @property
    def response_name(self) -> str:
        return f"{self.rpc_name}Response"


def training_spec(cls: type, where: str) -> TrainingSpec | None:
    """The train RPC that ``cls.train`` asks for; None when the class has none."""
    train = getattr(cls, "train", None)
    if train is None:
        return None
    if not inspect.ismethod(train) or train.__self__ is not cls:
        raise SchemaError(f"{where}: train() must be a @classmethod")
    params = list(inspect.signature(train).parameters.values())
    if not params:
        raise SchemaError(
            f"{where}: train() must take the training examples as its first parameter"
        )
    hints = _hints(cls, train, where)
    data = params[0]
    data_type = _data_type(data, hints, where)
    extras = tuple(_param(cls, p, hints, where) for p in params[1:])
    _check_names(data.name, extras, where)
    rpc_name = "Train" + pascal_case(cls.__name__)
    return TrainingSpec(rpc_name, data.name, data_type, extras)


def _hints(cls: type, train: Any, where: str) -> dict[str, Any]:
    # The return annotation usually names the class itself, which is not bound
    # in its module yet while the decorator runs.
    try:
        return typing.get_type_hints(
            train, include_extras=True, localns={cls.__name__: cls}
        )
    except NameError as exc:
        raise SchemaError(
            f"{where}: train() refers to unknown name {exc.name!r}"
        ) from None


def _data_type(param: inspect.Parameter, hints: dict[str, Any], where: str) -> type:
    hint = hints.get(param.name)
    args = get_args(hint)
    if get_origin(hint) in _SEQUENCES and len(args) == 1 and is_dataobject(args[0]):
        return args[0]
    raise SchemaError(
        f"{where}: train() parameter {param.name!r} receives the training data and "
        "must be typed Sequence[<a @dataobject class>] (or list[...]), not "
        f"{hint!r}"
    )


def _param(
    cls: type, param: inspect.Parameter, hints: dict[str, Any], where: str
) -> FieldSpec:
    if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
        raise SchemaError(
            f"{where}: train() may not take *{param.name}; every parameter must be "
            "named so that it can become a request field"
        )
    if param.name not in hints:
        raise SchemaError(
            f"{where}: train() parameter {param.name!r} needs a type annotation"
        )
    if param.default is param.empty:
        raise SchemaError(
            f"{where}: train() parameter {param.name!r} needs a default; only the "
            "first parameter (the training data) may be required"
        )
    default = MISSING if param.default is param.empty else param.default
    try:
        spec = spec_from_annotation(
            cls.__name__, param.name, hints[param.name], default=default
        )
    except SchemaError as exc:
        raise SchemaError(f"{where}: train() parameter {param.name!r}: {exc}") from None
    return dataclasses.replace(spec, doc=f"Default: {_show(default)}.")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return getattr(value, "name", None) or repr(value)


def _check_names(data: str, params: tuple[FieldSpec, ...], where: str) -> None:
    taken = {MODEL_NAME_FIELD, DEPLOY_FIELD, data, data + FILE_SUFFIX}
    for spec in params:
        if spec.proto_name in taken:
            raise SchemaError(
                f"{where}: train() parameter {spec.py_name!r} clashes with the train "
                f"request's own field {spec.proto_name!r}; rename the parameter"
            )


# ---------------------------------------------------------------- progress

ProgressSink = Callable[[float, str], None]
_sink: ProgressSink | None = None
_sink_lock = threading.Lock()


def report_progress(fraction: float, message: str = "") -> None:
    """Tells whoever runs this training how far it got (0.0 to 1.0).

    Call it from ``train()`` as often as is convenient; the runtime passes the
    latest value on to ``GetTrainingStatus`` and the command line draws it as
    a bar. Values outside 0..1 are clamped.
    """
    sink = _sink
    if sink is not None:
        sink(min(max(float(fraction), 0.0), 1.0), str(message))


@contextmanager
def progress_sink(sink: ProgressSink) -> Iterator[None]:
    """Routes ``report_progress`` calls of this process to ``sink`` inside the block.

    A process-wide setting rather than a context variable: ``train()`` may
    report from threads it starts itself.
    """
    global _sink
    with _sink_lock:
        previous, _sink = _sink, sink
    try:
        yield
    finally:
        with _sink_lock:
            _sink = previous
