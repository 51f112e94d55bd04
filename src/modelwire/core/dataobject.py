"""``@dataobject``: an annotated class becomes a dataclass linked to a protobuf message."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from modelwire.core.convert import FieldCodec, make_checker
from modelwire.core.errors import SchemaError
from modelwire.core.fields import FieldSpec, check_unique_names, dataclass_fields
from modelwire.core.types import FieldShape, ValueKind, ValueType

T = TypeVar("T")


@dataclass(frozen=True)
class MessageSpec:
    """A message to be: its names, its fields and where it was declared."""

    name: str
    package: str
    fields: tuple[FieldSpec, ...]
    source: str
    doc: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.package}.{self.name}"

    def fingerprint(self) -> tuple[Any, ...]:
        """What two declarations must share to be the same message.

        Presence is part of it because it changes the wire. Enums and data
        objects count by name: a re-import makes new class objects for them,
        and that must not read as a clash.
        """
        return tuple(
            (f.py_name, f.proto_name, _shape_key(f.shape), f.number, f.presence)
            for f in self.fields
        )


def _shape_key(shape: FieldShape) -> tuple[Any, ...]:
    values = (shape.value, shape.key, *(b.value for b in shape.branches))
    branch_names = tuple(b.name for b in shape.branches)
    keys = tuple(_type_key(vt) for vt in values)
    return (shape.cardinality, shape.nullable, branch_names, keys)


def _type_key(vt: ValueType | None) -> tuple[Any, ...] | None:
    if vt is None:
        return None
    if vt.kind is ValueKind.MESSAGE:
        return (vt.kind, vt.py_type.__mw_spec__.full_name)
    if vt.kind is ValueKind.ENUM:
        return (vt.kind, f"{vt.py_type.__module__}.{vt.py_type.__qualname__}")
    return (vt.kind, vt.py_type, vt.scalar)


class MessageCodec:
    """Converts between one message and its Python form (an object or kwargs)."""

    def __init__(
        self, spec: MessageSpec, factory: Callable[[dict[str, Any]], Any]
    ) -> None:
        self.spec = spec
        self.codecs = tuple(FieldCodec(spec.name, f) for f in spec.fields)
        self.factory = factory

    def decode_message(self, msg: Any) -> Any:
        return self.factory({c.py_name: c.get(msg) for c in self.codecs})

    def encode_into(self, msg: Any, obj: Any) -> None:
        for codec in self.codecs:
            codec.set(msg, getattr(obj, codec.py_name))


def dataobject(
    cls: type[T] | None = None, *, package: str | None = None, name: str | None = None
) -> Any:
    """Declare a data object: a dataclass whose fields map onto a protobuf message.

    ``package`` overrides the proto package (default: the library's), ``name``
    the message name (default: the class name).
    """

    def wrap(target: type[T]) -> type[T]:
        return _make_dataobject(target, package, name)

    return wrap if cls is None else wrap(cls)


def _make_dataobject(cls: type[T], package: str | None, name: str | None) -> type[T]:
    from modelwire.core.registry import REGISTRY

    if "__mw_spec__" in cls.__dict__:
        raise SchemaError(f"{cls.__qualname__} is already a data object")
    user_post_init = cls.__dict__.get("__post_init__")
    # dataclass() only calls __post_init__ if it exists when the class is made;
    # the real validator needs the fields, so it is bound right after.
    cls.__post_init__ = _validate  # type: ignore[attr-defined]
    dc = dataclasses.dataclass(cls)
    specs = dataclass_fields(dc, _hints(dc))
    check_unique_names(dc.__name__, specs)
    spec = MessageSpec(
        name=name or dc.__name__,
        package=package or REGISTRY.package_for(dc.__module__),
        fields=tuple(specs),
        source=f"{dc.__module__}.{dc.__qualname__}",
        doc=inspect.cleandoc(dc.__doc__ or "") if "__doc__" in cls.__dict__ else "",
    )
    _check_message_name(spec)
    dc.__mw_spec__ = spec  # type: ignore[attr-defined]
    dc.__mw_codec__ = MessageCodec(spec, _object_factory(dc))  # type: ignore[attr-defined]
    dc.__mw_validate__ = _validator(dc, specs, user_post_init)  # type: ignore[attr-defined]
    for method_name, method in _METHODS.items():
        if method_name not in cls.__dict__:
            setattr(dc, method_name, method)
    REGISTRY.add_dataobject(dc, spec)
    return dc


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(
            cls, include_extras=True, localns={cls.__name__: cls}
        )
    except NameError as exc:
        raise SchemaError(
            f"{cls.__qualname__}: annotation refers to {exc.name!r}, which is not "
            "defined yet; declare it before this class"
        ) from None


def _check_message_name(spec: MessageSpec) -> None:
    if not spec.name[:1].isupper() or "_" in spec.name:
        raise SchemaError(
            f"{spec.source}: message name {spec.name!r} must be PascalCase "
            "(rename the class or pass @dataobject(name=...))"
        )


def _object_factory(cls: type) -> Callable[[dict[str, Any]], Any]:
    # Values read from the wire are already checked, so decoding skips __init__.
    new = object.__new__

    def build(values: dict[str, Any]) -> Any:
        obj = new(cls)
        obj.__dict__.update(values)
        return obj

    return build


def _validator(
    cls: type, specs: list[FieldSpec], user_post_init: Callable[..., None] | None
) -> Callable[[Any], None]:
    checks = [(s.py_name, make_checker(cls.__name__, s)) for s in specs]

    def validate(self: Any) -> None:
        values = self.__dict__
        for py_name, check in checks:
            values[py_name] = check(values[py_name])
        if user_post_init is not None:
            user_post_init(self)

    return validate


def _validate(self: Any) -> None:
    type(self).__mw_validate__(self)


# --------------------------------------------------------- injected methods


def _message_class(cls: type) -> Any:
    from modelwire.core.registry import REGISTRY

    return REGISTRY.message_class(cls.__mw_spec__.full_name)


def _to_proto(self: Any) -> Any:
    msg = _message_class(type(self))()
    type(self).__mw_codec__.encode_into(msg, self)
    return msg


def _from_proto(cls: type[T], msg: Any) -> T:
    return cls.__mw_codec__.decode_message(msg)  # type: ignore[attr-defined]


def _to_bytes(self: Any) -> bytes:
    return self.to_proto().SerializeToString(deterministic=True)


def _from_bytes(cls: type[T], data: bytes) -> T:
    msg = _message_class(cls)()
    try:
        msg.ParseFromString(data)
    except DecodeError as exc:
        raise ValueError(
            f"{cls.__name__}: the bytes are not a valid message: {exc}"
        ) from None
    return _from_proto(cls, msg)


def _to_dict(self: Any) -> dict[str, Any]:
    """The proto3 canonical JSON mapping, as a dict."""
    return json_format.MessageToDict(self.to_proto())


def _from_dict(cls: type[T], data: dict[str, Any]) -> T:
    msg = _message_class(cls)()
    try:
        json_format.ParseDict(data, msg)
    except json_format.ParseError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None
    return _from_proto(cls, msg)


def _to_json(self: Any) -> str:
    """The proto3 canonical JSON mapping (int64 as strings, bytes as base64...)."""
    return json_format.MessageToJson(self.to_proto(), indent=None, ensure_ascii=False)


def _from_json(cls: type[T], text: str | bytes) -> T:
    msg = _message_class(cls)()
    try:
        json_format.Parse(text, msg)
    except json_format.ParseError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None
    return _from_proto(cls, msg)


_METHODS: dict[str, Any] = {
    "message_class": classmethod(_message_class),
    "to_proto": _to_proto,
    "from_proto": classmethod(_from_proto),
    "to_bytes": _to_bytes,
    "from_bytes": classmethod(_from_bytes),
    "to_dict": _to_dict,
    "from_dict": classmethod(_from_dict),
    "to_json": _to_json,
    "from_json": classmethod(_from_json),
}


def referenced_types(spec: MessageSpec) -> list[Any]:
    """Enums and data objects that the fields of ``spec`` refer to."""
    found: list[Any] = []
    for f in spec.fields:
        values = [f.shape.value, f.shape.key] + [b.value for b in f.shape.branches]
        for vt in values:
            if vt is not None and vt.kind in (ValueKind.ENUM, ValueKind.MESSAGE):
                found.append(vt.py_type)
    return found
