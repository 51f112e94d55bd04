"""Python annotations analysed into the shapes that protobuf can express.

Every annotation a data object, task or module may use is turned into a
``FieldShape`` once, when the class is declared. Everything later (message
building, validation, conversion) reads the shape and never looks at the
annotation again, so an inexpressible type fails at declaration time.
"""

from __future__ import annotations

import collections.abc
import enum
import types
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from modelwire.core.errors import SchemaError

Cardinality = Literal["single", "repeated", "map", "oneof"]


class ValueKind(enum.Enum):
    SCALAR = "scalar"
    ENUM = "enum"
    MESSAGE = "message"
    TIMESTAMP = "timestamp"
    DURATION = "duration"


@dataclass(frozen=True)
class ProtoScalar:
    """Marker inside ``Annotated`` that picks a fixed-width protobuf scalar."""

    name: str


@dataclass(frozen=True)
class Branch:
    """Marker inside ``Annotated`` that names one member of a union (oneof)."""

    name: str


int32 = Annotated[int, ProtoScalar("int32")]
int64 = Annotated[int, ProtoScalar("int64")]
uint32 = Annotated[int, ProtoScalar("uint32")]
uint64 = Annotated[int, ProtoScalar("uint64")]
sint32 = Annotated[int, ProtoScalar("sint32")]
sint64 = Annotated[int, ProtoScalar("sint64")]
fixed32 = Annotated[int, ProtoScalar("fixed32")]
fixed64 = Annotated[int, ProtoScalar("fixed64")]
sfixed32 = Annotated[int, ProtoScalar("sfixed32")]
sfixed64 = Annotated[int, ProtoScalar("sfixed64")]
float32 = Annotated[float, ProtoScalar("float")]
float64 = Annotated[float, ProtoScalar("double")]

#: Inclusive value range of each integer scalar.
INT_RANGES: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "sint32": (-(2**31), 2**31 - 1),
    "sfixed32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "sint64": (-(2**63), 2**63 - 1),
    "sfixed64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1),
    "fixed32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "fixed64": (0, 2**64 - 1),
}
FLOAT_SCALARS = frozenset({"float", "double"})
DEFAULT_SCALARS: dict[type, str] = {
    str: "string",
    bytes: "bytes",
    bool: "bool",
    int: "int64",
    float: "double",
}
SCALAR_PY_TYPES: dict[str, type] = {
    **{name: int for name in INT_RANGES},
    "float": float,
    "double": float,
    "string": str,
    "bytes": bytes,
    "bool": bool,
}
#: Short names used for default oneof member names (``<field>_<short>``).
_BRANCH_SUFFIX = {str: "str", bytes: "bytes", bool: "bool", int: "int", float: "float"}


@dataclass(frozen=True)
class ValueType:
    """One protobuf value type: a scalar, an enum, a message or a well-known type."""

    kind: ValueKind
    py_type: Any
    scalar: str = ""  # protobuf scalar keyword, for SCALAR

    @property
    def label(self) -> str:
        """How the type reads in error messages."""
        if self.kind is ValueKind.SCALAR:
            py_name = self.py_type.__name__
            return (
                py_name
                if DEFAULT_SCALARS[self.py_type] == self.scalar
                else (f"{py_name} ({self.scalar})")
            )
        return self.py_type.__name__


@dataclass(frozen=True)
class BranchShape:
    name: str
    value: ValueType


@dataclass(frozen=True)
class FieldShape:
    """The protobuf shape of one annotated Python field or parameter."""

    cardinality: Cardinality
    value: ValueType | None = None
    key: ValueType | None = None
    branches: tuple[BranchShape, ...] = ()
    nullable: bool = False  # Optional[...]: None is a legal value

    @property
    def label(self) -> str:
        if self.cardinality == "repeated":
            text = f"list[{self.value.label}]"  # type: ignore[union-attr]
        elif self.cardinality == "map":
            text = f"dict[{self.key.label}, {self.value.label}]"  # type: ignore[union-attr]
        elif self.cardinality == "oneof":
            text = " | ".join(b.value.label for b in self.branches)
        else:
            text = self.value.label  # type: ignore[union-attr]
        return f"{text} | None" if self.nullable else text


_STREAM_ORIGINS = (
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
)


def stream_element(annotation: Any) -> Any | None:
    """``T`` for ``Iterator[T]``, ``Iterable[T]`` or ``Generator[T, ...]``, else None.

    Such annotations declare a stream of messages rather than one field.
    """
    if get_origin(annotation) in _STREAM_ORIGINS:
        args = get_args(annotation)
        if not args:
            raise SchemaError(f"{_describe(annotation)} needs an element type")
        return args[0]
    return None


def is_dataobject(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "__mw_spec__")


def analyse(annotation: Any, field_name: str) -> FieldShape:
    """Turn one annotation into a ``FieldShape`` or raise ``SchemaError``.

    ``field_name`` is used both in error messages and to name oneof members.
    """
    annotation, nullable = _strip_optional(annotation)
    origin = get_origin(annotation)

    if origin in (list, typing.List):  # noqa: UP006 - both spellings occur
        return FieldShape(
            "repeated", value=_element(annotation, "list"), nullable=nullable
        )
    if origin in (dict, typing.Dict):  # noqa: UP006
        return _map_shape(annotation, nullable)
    if origin in (Union, types.UnionType):
        return FieldShape(
            "oneof", branches=_branches(annotation, field_name), nullable=nullable
        )
    return FieldShape("single", value=value_type(annotation), nullable=nullable)


def value_type(annotation: Any) -> ValueType:
    """The protobuf value type of a non-container annotation."""
    scalar = ""
    if get_origin(annotation) is Annotated:
        annotation, *extras = get_args(annotation)
        marks = [e for e in extras if isinstance(e, ProtoScalar)]
        scalar = marks[-1].name if marks else ""

    if annotation in DEFAULT_SCALARS:
        return _scalar(annotation, scalar or DEFAULT_SCALARS[annotation])
    if scalar:
        raise SchemaError(
            f"width marker {scalar!r} applies to int or float, not {annotation!r}"
        )
    if annotation is datetime:
        return ValueType(ValueKind.TIMESTAMP, datetime)
    if annotation is timedelta:
        return ValueType(ValueKind.DURATION, timedelta)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return ValueType(ValueKind.ENUM, annotation)
    if is_dataobject(annotation):
        return ValueType(ValueKind.MESSAGE, annotation)
    raise SchemaError(
        f"type {_describe(annotation)} has no protobuf equivalent; {_HELP}"
    )


_HELP = (
    "use str, int, float, bool, bytes, datetime, timedelta, an Enum, a @dataobject "
    "class, or list/dict/Optional/Union of those"
)


def _scalar(py_type: type, scalar: str) -> ValueType:
    if SCALAR_PY_TYPES.get(scalar) is not py_type:
        raise SchemaError(
            f"protobuf type {scalar!r} does not hold Python {py_type.__name__}"
        )
    return ValueType(ValueKind.SCALAR, py_type, scalar)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) not in (Union, types.UnionType):
        return annotation, False
    args = get_args(annotation)
    rest = tuple(a for a in args if a is not type(None))
    if len(rest) == len(args):
        return annotation, False
    if len(rest) == 1:
        return rest[0], True
    return Union[rest], True  # noqa: UP007 - rebuilding from a tuple of args


def _element(annotation: Any, container: str) -> ValueType:
    args = get_args(annotation)
    if not args:
        raise SchemaError(
            f"bare {container} needs an element type, e.g. {container}[str]"
        )
    element = args[-1]
    if get_origin(element) in (
        list,
        dict,
        list,
        dict,
        Union,
        types.UnionType,
    ):
        raise SchemaError(
            f"{_describe(annotation)} nests a container or union inside a "
            f"{container}; protobuf cannot express that, so wrap the inner "
            "value in a @dataobject"
        )
    return value_type(element)


def _map_shape(annotation: Any, nullable: bool) -> FieldShape:
    args = get_args(annotation)
    if len(args) != 2:
        raise SchemaError("dict needs key and value types, e.g. dict[str, int]")
    key = value_type(args[0])
    if key.kind is not ValueKind.SCALAR or key.scalar in FLOAT_SCALARS | {"bytes"}:
        raise SchemaError(
            f"map key {_describe(args[0])} is not allowed; protobuf map keys "
            "are str, int or bool"
        )
    return FieldShape(
        "map", key=key, value=_element(annotation, "dict"), nullable=nullable
    )


def _branches(annotation: Any, field_name: str) -> tuple[BranchShape, ...]:
    branches: list[BranchShape] = []
    for arg in get_args(annotation):
        name = ""
        if get_origin(arg) is Annotated:
            marks = [e for e in get_args(arg)[1:] if isinstance(e, Branch)]
            name = marks[-1].name if marks else ""
        if get_origin(arg) in (list, dict, typing.List, typing.Dict):  # noqa: UP006
            raise SchemaError(
                f"union member {_describe(arg)} is a container; protobuf oneof "
                "members cannot be repeated or maps, so wrap it in a @dataobject"
            )
        value = value_type(arg)
        branches.append(BranchShape(name or f"{field_name}_{_suffix(value)}", value))
    _check_branches(branches)
    return tuple(branches)


def _suffix(value: ValueType) -> str:
    if value.kind is ValueKind.SCALAR:
        default = DEFAULT_SCALARS[value.py_type] == value.scalar
        return _BRANCH_SUFFIX[value.py_type] if default else value.scalar
    if value.kind in (ValueKind.TIMESTAMP, ValueKind.DURATION):
        return value.kind.value
    return snake_case(value.py_type.__name__)


def _check_branches(branches: list[BranchShape]) -> None:
    seen_types: dict[Any, str] = {}
    seen_names: set[str] = set()
    for branch in branches:
        if branch.name in seen_names:
            raise SchemaError(f"two union members are both named {branch.name!r}")
        seen_names.add(branch.name)
        other = seen_types.setdefault(branch.value.py_type, branch.name)
        if other != branch.name:
            raise SchemaError(
                f"union members {other!r} and {branch.name!r} both hold Python "
                f"{branch.value.py_type.__name__}, so a value could not tell "
                "which one it is; keep one of them or wrap one in a @dataobject"
            )


def snake_case(name: str) -> str:
    out: list[str] = []
    for i, ch in enumerate(name):
        prev_lower = i > 0 and (name[i - 1].islower() or name[i - 1].isdigit())
        next_lower = i + 1 < len(name) and name[i + 1].islower()
        if (
            ch.isupper()
            and i > 0
            and (prev_lower or (next_lower and name[i - 1].isupper()))
        ):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def pascal_case(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _describe(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return repr(annotation).replace("typing.", "")
