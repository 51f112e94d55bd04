"""The intermediate form: protobuf files as plain data, with every number resolved.

Both halves read this form and nothing else. The runtime turns it into
``FileDescriptorProto`` objects for its private descriptor pool; the generator
lays it out as .proto text. Because both come from one value, the served
services and the emitted files cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProtoField:
    name: str
    number: int
    #: a scalar keyword (``string``, ``int64``...) or a full type name
    #: (``text_sentiment.v1.Label``, ``google.protobuf.Timestamp``)
    type: str
    is_message: bool = False
    is_enum: bool = False
    repeated: bool = False
    optional: bool = False  # proto3 explicit presence
    map_key: str = ""  # set for map fields; ``type`` is then the value type
    oneof: str = ""
    json_name: str = ""
    doc: str = ""

    @property
    def signature(self) -> str:
        """Wire-relevant shape, recorded in the field lock to spot type changes."""
        if self.map_key:
            text = f"map<{self.map_key}, {self.type}>"
        elif self.repeated:
            text = f"repeated {self.type}"
        elif self.optional:
            text = f"optional {self.type}"
        else:
            text = self.type
        return f"oneof {self.oneof}: {text}" if self.oneof else text


@dataclass(frozen=True)
class ProtoEnumValue:
    name: str
    number: int
    doc: str = ""


@dataclass(frozen=True)
class ProtoEnum:
    name: str
    full_name: str
    values: tuple[ProtoEnumValue, ...]
    reserved: tuple[tuple[int, str], ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class ProtoMessage:
    name: str
    full_name: str
    #: in declaration order; members of one oneof are adjacent
    fields: tuple[ProtoField, ...]
    reserved: tuple[tuple[int, str], ...] = ()
    doc: str = ""

    @property
    def oneofs(self) -> list[str]:
        names: list[str] = []
        for f in self.fields:
            if f.oneof and f.oneof not in names:
                names.append(f.oneof)
        return names


@dataclass(frozen=True)
class ProtoMethod:
    name: str
    input_type: str
    output_type: str
    client_streaming: bool = False
    server_streaming: bool = False
    doc: str = ""


@dataclass(frozen=True)
class ProtoService:
    name: str
    full_name: str
    methods: tuple[ProtoMethod, ...]
    doc: str = ""
    #: each call picks a model (the ``mm-model-id`` header); false for the
    #: lifecycle services, whose calls name what they act on in the request
    model_scoped: bool = True


@dataclass(frozen=True)
class ProtoFile:
    path: str
    package: str
    #: what the file was generated from, for the header comment
    source: str
    imports: tuple[str, ...] = ()
    enums: tuple[ProtoEnum, ...] = ()
    messages: tuple[ProtoMessage, ...] = ()
    services: tuple[ProtoService, ...] = ()


@dataclass
class Schema:
    """Every file the registry produced, in dependency order."""

    files: list[ProtoFile] = field(default_factory=list)

    def file(self, path: str) -> ProtoFile:
        for proto_file in self.files:
            if proto_file.path == path:
                return proto_file
        raise KeyError(path)
