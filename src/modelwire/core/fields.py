"""Field declarations shared by data objects, task inputs and module parameters."""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING
from typing import Any

from modelwire.core.errors import SchemaError
from modelwire.core.types import FieldShape, ValueKind, analyse

_NUMBER = "mw_number"
_NAME = "mw_name"
_DOC = "mw_doc"
#: protobuf reserves 19000-19999 for its own implementation.
RESERVED_RANGE = range(19000, 20000)
MAX_FIELD_NUMBER = 2**29 - 1


def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    number: int | None = None,
    name: str | None = None,
    doc: str = "",
) -> Any:
    """A data object field with an explicit wire number, wire name or comment.

    ``number`` pins the field number (the lock then records it); ``name``
    sets the proto field name when the Python one cannot be used as is.
    """
    metadata = {_NUMBER: number, _NAME: name, _DOC: doc}
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata=metadata
    )


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One field of a protobuf message, with both of its names.

    ``py_name`` is the attribute or parameter name; ``proto_name`` the name
    on the wire and in .proto files.
    """

    py_name: str
    proto_name: str
    shape: FieldShape
    # MISSING as a plain default would make these fields required.
    default: Any = dataclasses.field(default_factory=lambda: MISSING)
    default_factory: Any = dataclasses.field(default_factory=lambda: MISSING)
    number: int | None = None
    doc: str = ""

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING or self.default_factory is not MISSING

    def default_value(self) -> Any:
        if self.default_factory is not MISSING:
            return self.default_factory()
        return self.default

    @property
    def presence(self) -> bool:
        """True when the wire tells 'unset' apart from the zero value.

        Optional fields and fields with a default need that, so that an unset
        value becomes None or the declared default instead of 0, "" or False.
        """
        if self.shape.cardinality != "single":
            return False
        return self.shape.nullable or self.has_default


def proto_name_for(py_name: str) -> str:
    """Python's trailing-underscore escape (``from_``, ``class_``) is dropped on the wire."""
    if py_name.endswith("_") and not py_name.endswith("__") and len(py_name) > 1:
        return py_name[:-1]
    return py_name


def spec_from_annotation(
    owner: str,
    py_name: str,
    annotation: Any,
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    metadata: Any = None,
) -> FieldSpec:
    """Build a ``FieldSpec``; errors name ``owner`` and the field."""
    metadata = metadata or {}
    try:
        shape = analyse(annotation, proto_name_for(metadata.get(_NAME) or py_name))
    except SchemaError as exc:
        raise SchemaError(f"{owner}.{py_name}: {exc}") from None
    spec = FieldSpec(
        py_name=py_name,
        proto_name=metadata.get(_NAME) or proto_name_for(py_name),
        shape=shape,
        default=default,
        default_factory=default_factory,
        number=metadata.get(_NUMBER),
        doc=metadata.get(_DOC, ""),
    )
    _check_spec(owner, spec)
    return spec


def _check_spec(owner: str, spec: FieldSpec) -> None:
    where = f"{owner}.{spec.py_name}"
    shape = spec.shape
    if shape.nullable and shape.cardinality in ("repeated", "map"):
        raise SchemaError(
            f"{where}: Optional[{shape.label.removesuffix(' | None')}] cannot be "
            "told apart from an empty one on the wire; drop Optional and use "
            "default_factory=list (or dict)"
        )
    if spec.number is not None and (
        not 1 <= spec.number <= MAX_FIELD_NUMBER or spec.number in RESERVED_RANGE
    ):
        raise SchemaError(
            f"{where}: field number {spec.number} is outside 1..{MAX_FIELD_NUMBER} "
            "or inside protobuf's reserved 19000-19999"
        )
    if shape.cardinality == "single" and spec.default is None and not shape.nullable:
        raise SchemaError(f"{where}: default None needs an Optional[...] type")
    value = shape.value
    if (
        value is not None
        and value.kind is ValueKind.MESSAGE
        and spec.default
        not in (
            MISSING,
            None,
        )
    ):
        raise SchemaError(
            f"{where}: a data object default must be given with default_factory"
        )


def dataclass_fields(cls: type, hints: dict[str, Any]) -> list[FieldSpec]:
    owner = cls.__name__
    specs = [
        spec_from_annotation(
            owner,
            f.name,
            hints[f.name],
            default=f.default,
            default_factory=f.default_factory,
            metadata=f.metadata,
        )
        for f in dataclasses.fields(cls)
    ]
    for spec in specs:
        _check_nullable_default(owner, spec)
    return specs


def _check_nullable_default(owner: str, spec: FieldSpec) -> None:
    # An unset field reads back as its default, so None would come back as
    # that default and a data object would not round-trip. (Request fields
    # of tasks are exempt: there an unset field means "use the default".)
    if spec.shape.nullable and spec.has_default and spec.default is not None:
        raise SchemaError(
            f"{owner}.{spec.py_name}: an Optional field's default must be None, "
            "because None and an unset default look the same on the wire; drop "
            "Optional or default to None"
        )


def check_unique_names(owner: str, specs: list[FieldSpec]) -> None:
    """Two Python fields must not land on one wire name (``x`` and ``x_``)."""
    seen: dict[str, str] = {}
    for spec in specs:
        names = [spec.proto_name] + [b.name for b in spec.shape.branches]
        for name in names:
            other = seen.setdefault(name, spec.py_name)
            if other != spec.py_name or names.count(name) > 1:
                raise SchemaError(
                    f"{owner}: fields {other!r} and {spec.py_name!r} both use the "
                    f"wire name {name!r}; rename one or set field(name=...)"
                )


class _Omit:
    """Default of request fields: an unset field is left out of the call."""

    def __repr__(self) -> str:
        return "OMIT"


#: Lets the called function's own default apply when a request leaves a field unset.
OMIT: Any = _Omit()
