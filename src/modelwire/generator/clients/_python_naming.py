"""Python spellings shared by the two Python flavours: names, annotations, examples."""

from __future__ import annotations

import keyword
import re

from modelwire.core.schema import ProtoField
from modelwire.core.types import snake_case

__all__ = ["snake_case"]

#: Keyword arguments every client method takes besides the task's inputs.
CALL_OPTIONS = frozenset({"model_id", "timeout", "metadata", "self"})

PY_SCALARS = {
    "string": "str",
    "bytes": "bytes",
    "bool": "bool",
    "float": "float",
    "double": "float",
    **{
        k: "int"
        for k in (
            "int32",
            "int64",
            "uint32",
            "uint64",
            "sint32",
            "sint64",
            "fixed32",
            "fixed64",
            "sfixed32",
            "sfixed64",
        )
    },
}
ZERO_VALUES = {"str": '""', "bytes": 'b""', "bool": "False", "int": "0", "float": "0.0"}
EXAMPLE_VALUES = {
    "str": '"Hello"',
    "bytes": 'b"\\x00\\x01"',
    "bool": "True",
    "int": "1",
    "float": "0.5",
}
TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"


def import_name(distribution: str) -> str:
    """``text-sentiment-client`` -> ``text_sentiment_client``."""
    return re.sub(r"[^0-9a-zA-Z_]", "_", distribution).lower()


def argument_name(proto_name: str) -> str:
    """A proto field name as a keyword argument: keywords and options get ``_``."""
    if keyword.iskeyword(proto_name) or proto_name in CALL_OPTIONS:
        return f"{proto_name}_"
    return proto_name


def scalar_annotation(field: ProtoField) -> str:
    return PY_SCALARS[field.type]


def single_kind(field: ProtoField) -> str:
    """``scalar``, ``enum``, ``timestamp``, ``duration`` or ``message``."""
    if field.type == TIMESTAMP:
        return "timestamp"
    if field.type == DURATION:
        return "duration"
    if field.is_enum:
        return "enum"
    return "message" if field.is_message else "scalar"
