"""Validation of Python values and conversion between them and protobuf messages.

Each ``FieldSpec`` gets a checker and a codec built once, when its class is
declared; converting a message then runs a flat list of small closures with
no type inspection on the way.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import MISSING
from datetime import UTC, datetime, timedelta
from typing import Any

from modelwire.core.fields import FieldSpec
from modelwire.core.types import (
    INT_RANGES,
    FieldShape,
    ValueKind,
    ValueType,
    snake_case,
)

Checker = Callable[[Any], Any]
Getter = Callable[[Any], Any]
Setter = Callable[[Any, Any], None]


class FieldValueError(ValueError):
    """A value read from the wire does not fit its field (unknown enum number...)."""


# ---------------------------------------------------------------- validation


class _Mismatch(Exception):
    def __init__(self, expected: str, value: Any, reason: str = "") -> None:
        self.expected, self.value, self.reason = expected, value, reason


def make_checker(owner: str, spec: FieldSpec) -> Checker:
    """A function that validates (and normalises) one field value.

    It raises ``TypeError`` naming the owner, the field, the expected type and
    the offending value, or ``ValueError`` for an in-type value out of range.
    """
    inner = _shape_checker(spec.shape)

    def check(value: Any) -> Any:
        try:
            return inner(value)
        except _Mismatch as bad:
            got = f"{type(bad.value).__name__} {bad.value!r}"
            if bad.reason:
                raise ValueError(
                    f"{owner}.{spec.py_name}: {bad.reason}, got {bad.value!r}"
                ) from None
            raise TypeError(
                f"{owner}.{spec.py_name}: expected {bad.expected}, got {got}"
            ) from None

    return check


def _shape_checker(shape: FieldShape) -> Checker:
    if shape.cardinality == "repeated":
        element = _value_checker(shape.value)  # type: ignore[arg-type]
        base = _list_checker(element, shape.label)
    elif shape.cardinality == "map":
        base = _map_checker(shape)
    elif shape.cardinality == "oneof":
        base = _oneof_checker(shape)
    else:
        base = _value_checker(shape.value)  # type: ignore[arg-type]
    if not shape.nullable:
        return base
    return lambda value: None if value is None else base(value)


def _list_checker(element: Checker, label: str) -> Checker:
    def check(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _Mismatch(label, value)
        return [element(item) for item in value]

    return check


def _map_checker(shape: FieldShape) -> Checker:
    key = _value_checker(shape.key)  # type: ignore[arg-type]
    val = _value_checker(shape.value)  # type: ignore[arg-type]

    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _Mismatch(shape.label, value)
        return {key(k): val(v) for k, v in value.items()}

    return check


def _oneof_checker(shape: FieldShape) -> Checker:
    checkers = [(b.value.py_type, _value_checker(b.value)) for b in shape.branches]

    def check(value: Any) -> Any:
        for py_type, inner in checkers:
            if type(value) is py_type:
                return inner(value)
        for py_type, inner in checkers:
            if _accepts(py_type, value):
                return inner(value)
        raise _Mismatch(shape.label, value)

    return check


def _accepts(py_type: type, value: Any) -> bool:
    if py_type is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if py_type is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, py_type)


def _value_checker(vt: ValueType) -> Checker:
    if vt.kind is ValueKind.SCALAR:
        return _scalar_checker(vt)
    if vt.kind is ValueKind.TIMESTAMP:
        return _check_datetime
    if vt.kind is ValueKind.DURATION:
        return _check_timedelta
    label = vt.label

    def check(value: Any) -> Any:
        if not isinstance(value, vt.py_type):
            raise _Mismatch(label, value)
        return value

    return check


def _check_datetime(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise _Mismatch("datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise _Mismatch(
            "datetime",
            value,
            "naive datetimes are refused because the wire holds an instant; "
            "pass a timezone-aware value such as datetime(..., tzinfo=timezone.utc)",
        )
    return value.astimezone(UTC)


#: google.protobuf.Duration spans about +-10000 years; timedelta goes further.
MAX_DURATION = timedelta(seconds=315_576_000_000, microseconds=999_999)


def _check_timedelta(value: Any) -> timedelta:
    if not isinstance(value, timedelta):
        raise _Mismatch("timedelta", value)
    if abs(value) > MAX_DURATION:
        # Binary encoding would accept it, but JSON and other clients would not.
        raise _Mismatch(
            "timedelta", value, "a Duration holds at most +-315576000000 seconds"
        )
    return value


def _scalar_checker(vt: ValueType) -> Checker:
    label, py_type = vt.label, vt.py_type
    if vt.scalar in INT_RANGES:
        low, high = INT_RANGES[vt.scalar]

        def check_int(value: Any) -> int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise _Mismatch(label, value)
            if not low <= value <= high:
                raise _Mismatch(label, value, f"{vt.scalar} holds {low}..{high}")
            return int(value)

        return check_int
    if py_type is float:
        narrow = vt.scalar == "float"

        def check_float(value: Any) -> float:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _Mismatch(label, value)
            # float32 fields store the value they will read back, so round trips
            # compare equal.
            return _to_float32(value) if narrow else float(value)

        return check_float

    def check_exact(value: Any) -> Any:
        if type(value) is not py_type and not (
            py_type is bytes and isinstance(value, bytes)
        ):
            raise _Mismatch(label, value)
        return value

    return check_exact


def _to_float32(value: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


# ------------------------------------------------------- protobuf conversion


class EnumCodec:
    """Maps a Python ``Enum`` to protobuf numbers and back."""

    def __init__(
        self,
        py_enum: type[enum.Enum],
        numbers: dict[enum.Enum, int],
        proto_names: dict[enum.Enum, str],
    ) -> None:
        self.py_enum = py_enum
        self.to_number = numbers
        self.from_number = {n: m for m, n in numbers.items()}
        # Wire names, since the caller who sent a bad number speaks protobuf.
        self.allowed = ", ".join(f"{proto_names[m]}={n}" for m, n in numbers.items())


def enum_codec_of(py_enum: type[enum.Enum]) -> EnumCodec:
    codec = py_enum.__dict__.get("__mw_codec__")
    if codec is None:
        # Numbers come from the registry once the library is built.
        from modelwire.core.registry import REGISTRY

        REGISTRY.build()
        codec = py_enum.__dict__["__mw_codec__"]
    return codec


def _value_getter(vt: ValueType, where: str) -> Getter:
    """Reads one protobuf value (a scalar, or a sub-message) as a Python value."""
    if vt.kind is ValueKind.SCALAR:
        return _identity
    if vt.kind is ValueKind.TIMESTAMP:
        return lambda ts: ts.ToDatetime(tzinfo=UTC)
    if vt.kind is ValueKind.DURATION:
        return lambda d: d.ToTimedelta()
    if vt.kind is ValueKind.ENUM:
        return _enum_getter(vt.py_type, where)
    cls = vt.py_type
    return lambda msg: cls.__mw_codec__.decode_message(msg)


def _enum_getter(py_enum: Any, where: str) -> Getter:
    def get(number: int) -> Any:
        codec = enum_codec_of(py_enum)
        try:
            return codec.from_number[number]
        except KeyError:
            if number == 0:
                raise FieldValueError(
                    f"{where}: a value is required (allowed: {codec.allowed})"
                ) from None
            raise FieldValueError(
                f"{where}: {number} is not a {py_enum.__name__} value "
                f"(allowed: {codec.allowed})"
            ) from None

    return get


def _identity(value: Any) -> Any:
    return value


def _value_setter(vt: ValueType) -> Callable[[Any], Any] | None:
    """Python value -> assignable protobuf value, for scalars and enums.

    Returns None for kinds that are written into a sub-message instead.
    """
    if vt.kind is ValueKind.SCALAR:
        return _identity
    if vt.kind is ValueKind.ENUM:
        py_enum = vt.py_type
        return lambda member: enum_codec_of(py_enum).to_number[member]
    return None


def _fill(vt: ValueType) -> Callable[[Any, Any], None]:
    """Writes a Python value into an (already created) sub-message."""
    if vt.kind is ValueKind.TIMESTAMP:
        return lambda sub, dt: sub.FromDatetime(dt)
    if vt.kind is ValueKind.DURATION:
        return lambda sub, td: sub.FromTimedelta(td)

    def fill_message(sub: Any, obj: Any) -> None:
        sub.SetInParent()
        type(obj).__mw_codec__.encode_into(sub, obj)

    return fill_message


class FieldCodec:
    """Reads one field from a message and writes it back."""

    __slots__ = ("get", "py_name", "set", "spec")

    def __init__(self, owner: str, spec: FieldSpec) -> None:
        self.spec = spec
        self.py_name = spec.py_name
        where = f"{owner}.{spec.py_name}"
        shape = spec.shape
        builders = {
            "single": _single,
            "repeated": _repeated,
            "map": _map,
            "oneof": _oneof,
        }
        self.get, self.set = builders[shape.cardinality](spec, where)


def _absent(spec: FieldSpec, where: str) -> Callable[[], Any]:
    """What an unset field reads as: None, the declared default, or an error."""
    if spec.shape.nullable and spec.default in (MISSING, None):
        return lambda: None
    if spec.has_default:
        return spec.default_value

    def required() -> Any:
        raise FieldValueError(f"{where}: a value is required but none was set")

    return required


def _single(spec: FieldSpec, where: str) -> tuple[Getter, Setter]:
    name, vt = spec.proto_name, spec.shape.value
    assert vt is not None
    read = _value_getter(vt, where)
    to_wire = _value_setter(vt)
    absent = _absent(spec, where)
    tracked = spec.presence or to_wire is None

    def get(msg: Any) -> Any:
        if tracked and not msg.HasField(name):
            return absent()
        return read(getattr(msg, name))

    if to_wire is not None:

        def set_scalar(msg: Any, value: Any) -> None:
            if value is not None:
                setattr(msg, name, to_wire(value))

        return get, set_scalar

    fill = _fill(vt)

    def set_sub(msg: Any, value: Any) -> None:
        if value is not None:
            fill(getattr(msg, name), value)

    return get, set_sub


def _repeated(spec: FieldSpec, where: str) -> tuple[Getter, Setter]:
    name, vt = spec.proto_name, spec.shape.value
    assert vt is not None
    read = _value_getter(vt, where)
    to_wire = _value_setter(vt)
    if read is _identity:
        get: Getter = lambda msg: list(getattr(msg, name))  # noqa: E731
    else:
        get = lambda msg: [read(item) for item in getattr(msg, name)]  # noqa: E731

    if to_wire is not None:

        def set_values(msg: Any, values: Any) -> None:
            getattr(msg, name).extend(map(to_wire, values))

        return get, set_values

    fill = _fill(vt)

    def set_subs(msg: Any, values: Any) -> None:
        target = getattr(msg, name)
        for value in values:
            fill(target.add(), value)

    return get, set_subs


def _map(spec: FieldSpec, where: str) -> tuple[Getter, Setter]:
    name, vt = spec.proto_name, spec.shape.value
    assert vt is not None
    read = _value_getter(vt, where)
    to_wire = _value_setter(vt)

    def get(msg: Any) -> Any:
        return {k: read(v) for k, v in getattr(msg, name).items()}

    if to_wire is not None:

        def set_values(msg: Any, values: Any) -> None:
            target = getattr(msg, name)
            for key, value in values.items():
                target[key] = to_wire(value)

        return get, set_values

    fill = _fill(vt)

    def set_subs(msg: Any, values: Any) -> None:
        target = getattr(msg, name)
        for key, value in values.items():
            fill(target[key], value)

    return get, set_subs


def _oneof(spec: FieldSpec, where: str) -> tuple[Getter, Setter]:
    oneof_name = spec.proto_name
    absent = _absent(spec, where)
    readers: dict[str, Getter] = {}
    writers: list[tuple[type, Setter]] = []
    for branch in spec.shape.branches:
        member = FieldSpec(branch.name, branch.name, FieldShape("single", branch.value))
        member_get, member_set = _single(member, f"{where}.{branch.name}")
        readers[branch.name] = member_get
        writers.append((branch.value.py_type, member_set))

    def get(msg: Any) -> Any:
        active = msg.WhichOneof(oneof_name)
        if active is None:
            return absent()
        return readers[active](msg)

    def set_branch(msg: Any, value: Any) -> None:
        if value is None:
            return
        for py_type, member_set in writers:
            if type(value) is py_type:
                return member_set(msg, value)
        for py_type, member_set in writers:
            if _accepts(py_type, value):
                return member_set(msg, value)
        return None

    return get, set_branch


def enum_prefix(py_enum: type) -> str:
    return snake_case(py_enum.__name__).upper() + "_"
