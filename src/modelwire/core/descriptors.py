"""The intermediate form as ``FileDescriptorProto`` objects in a private pool.

A private pool keeps modelwire's types apart from whatever else the process
registered in protobuf's default pool, and lets a rebuilt registry start over.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    timestamp_pb2,
)

from modelwire.core.schema import ProtoEnum, ProtoField, ProtoFile, ProtoMessage, Schema
from modelwire.core.types import pascal_case

FDP = descriptor_pb2.FieldDescriptorProto
_SCALAR_TYPES = {
    "double": FDP.TYPE_DOUBLE,
    "float": FDP.TYPE_FLOAT,
    "int64": FDP.TYPE_INT64,
    "uint64": FDP.TYPE_UINT64,
    "int32": FDP.TYPE_INT32,
    "fixed64": FDP.TYPE_FIXED64,
    "fixed32": FDP.TYPE_FIXED32,
    "bool": FDP.TYPE_BOOL,
    "string": FDP.TYPE_STRING,
    "bytes": FDP.TYPE_BYTES,
    "uint32": FDP.TYPE_UINT32,
    "sfixed32": FDP.TYPE_SFIXED32,
    "sfixed64": FDP.TYPE_SFIXED64,
    "sint32": FDP.TYPE_SINT32,
    "sint64": FDP.TYPE_SINT64,
}
WELL_KNOWN = (timestamp_pb2.DESCRIPTOR, duration_pb2.DESCRIPTOR)


def make_pool(schema: Schema) -> tuple[Any, dict[str, Any]]:
    """A fresh pool holding every file of ``schema``, and its message classes."""
    pool = descriptor_pool.DescriptorPool()
    for wkt in WELL_KNOWN:
        pool.AddSerializedFile(wkt.serialized_pb)
    classes: dict[str, Any] = {}
    for proto_file in schema.files:
        pool.Add(file_descriptor(proto_file))
        for message in proto_file.messages:
            descriptor = pool.FindMessageTypeByName(message.full_name)
            classes[message.full_name] = message_factory.GetMessageClass(descriptor)
    return pool, classes


def file_descriptor(proto_file: ProtoFile) -> descriptor_pb2.FileDescriptorProto:
    fdp = descriptor_pb2.FileDescriptorProto(
        name=proto_file.path,
        package=proto_file.package,
        syntax="proto3",
        dependency=list(proto_file.imports),
    )
    for enum in proto_file.enums:
        _enum(fdp.enum_type.add(), enum)
    for message in proto_file.messages:
        _message(fdp.message_type.add(), message)
    for service in proto_file.services:
        sdp = fdp.service.add(name=service.name)
        for method in service.methods:
            sdp.method.add(
                name=method.name,
                input_type=f".{method.input_type}",
                output_type=f".{method.output_type}",
                client_streaming=method.client_streaming or None,
                server_streaming=method.server_streaming or None,
            )
    return fdp


def _enum(edp: descriptor_pb2.EnumDescriptorProto, enum: ProtoEnum) -> None:
    edp.name = enum.name
    for value in enum.values:
        edp.value.add(name=value.name, number=value.number)
    for number, name in enum.reserved:
        edp.reserved_range.add(start=number, end=number)  # enum ranges are inclusive
        if name:
            edp.reserved_name.append(name)


def _message(dp: descriptor_pb2.DescriptorProto, message: ProtoMessage) -> None:
    dp.name = message.name
    oneofs = message.oneofs
    for name in oneofs:
        dp.oneof_decl.add(name=name)
    # Synthetic oneofs of proto3 'optional' fields follow the real ones.
    synthetic = [f for f in message.fields if f.optional]
    for f in synthetic:
        dp.oneof_decl.add(name=f"_{f.name}")
    for f in message.fields:
        fd = dp.field.add(name=f.name, number=f.number, json_name=f.json_name)
        _field_type(dp, fd, f, message.full_name)
        if f.oneof:
            fd.oneof_index = oneofs.index(f.oneof)
        elif f.optional:
            fd.proto3_optional = True
            fd.oneof_index = len(oneofs) + synthetic.index(f)
    for number, name in message.reserved:
        dp.reserved_range.add(
            start=number, end=number + 1
        )  # message ranges are exclusive
        if name:
            dp.reserved_name.append(name)


def _field_type(
    dp: descriptor_pb2.DescriptorProto, fd: FDP, f: ProtoField, owner: str
) -> None:
    fd.label = FDP.LABEL_REPEATED if (f.repeated or f.map_key) else FDP.LABEL_OPTIONAL
    if f.map_key:
        entry = dp.nested_type.add(name=f"{pascal_case(f.name)}Entry")
        entry.options.map_entry = True
        key = entry.field.add(
            name="key", number=1, json_name="key", label=FDP.LABEL_OPTIONAL
        )
        key.type = _SCALAR_TYPES[f.map_key]
        value = entry.field.add(name="value", number=2, json_name="value")
        value.label = FDP.LABEL_OPTIONAL
        _set_value_type(value, f)
        fd.type = FDP.TYPE_MESSAGE
        fd.type_name = f".{owner}.{entry.name}"
        return
    _set_value_type(fd, f)


def _set_value_type(fd: FDP, f: ProtoField) -> None:
    if f.is_message:
        fd.type, fd.type_name = FDP.TYPE_MESSAGE, f".{f.type}"
    elif f.is_enum:
        fd.type, fd.type_name = FDP.TYPE_ENUM, f".{f.type}"
    else:
        fd.type = _SCALAR_TYPES[f.type]
