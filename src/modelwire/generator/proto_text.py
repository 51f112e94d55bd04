"""The intermediate form laid out as .proto text through a jinja2 template."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jinja2

from modelwire import __version__
from modelwire.core.schema import (
    ProtoEnum,
    ProtoField,
    ProtoFile,
    ProtoMessage,
)


@dataclass(frozen=True)
class FieldGroup:
    """One plain field, or the members of one oneof."""

    oneof: str
    fields: tuple[ProtoField, ...]


def render_file(proto_file: ProtoFile) -> str:
    return (
        _environment()
        .get_template("file.proto.j2")
        .render(file=proto_file, version=__version__)
    )


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("modelwire.generator", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        comment=comment,
        reserved_lines=reserved_lines,
        field_groups=field_groups,
        declaration=declaration,
        rpc_input=lambda m, pkg: _stream(m.client_streaming, m.input_type, pkg),
        rpc_output=lambda m, pkg: _stream(m.server_streaming, m.output_type, pkg),
    )
    return env


def comment(doc: str, indent: str = "") -> str:
    """A docstring as ``//`` lines, ending where the commented item starts."""
    if not doc:
        return ""
    lines = [f"// {line}".rstrip() for line in doc.strip().splitlines()]
    return "".join(f"{line}\n{indent}" for line in lines)


def reserved_lines(item: ProtoMessage | ProtoEnum) -> list[str]:
    numbers = [str(number) for number, _ in item.reserved]
    names = [f'"{name}"' for _, name in item.reserved if name]
    lines = []
    if numbers:
        lines.append(f"reserved {', '.join(numbers)};")
    if names:
        lines.append(f"reserved {', '.join(names)};")
    return lines


def field_groups(message: ProtoMessage) -> list[FieldGroup]:
    groups: list[FieldGroup] = []
    for f in message.fields:
        if f.oneof and groups and groups[-1].oneof == f.oneof:
            groups[-1] = FieldGroup(f.oneof, (*groups[-1].fields, f))
        else:
            groups.append(FieldGroup(f.oneof, (f,)))
    return groups


def declaration(f: ProtoField, package: str) -> str:
    value = type_ref(f.type, package) if (f.is_message or f.is_enum) else f.type
    if f.map_key:
        kind = f"map<{f.map_key}, {value}>"
    elif f.repeated:
        kind = f"repeated {value}"
    elif f.optional:
        kind = f"optional {value}"
    else:
        kind = value
    return f"{kind} {f.name} = {f.number};"


def _stream(streaming: bool, full_name: str, package: str) -> str:
    return ("stream " if streaming else "") + type_ref(full_name, package)


def type_ref(full_name: str, package: str) -> str:
    """Short names inside the package, full names outside it.

    A leading dot is added only where protobuf's scoping could otherwise find
    a nearer symbol: when the name's first part also names a part of ``package``.
    """
    prefix = f"{package}."
    if full_name.startswith(prefix) and "." not in full_name[len(prefix) :]:
        return full_name[len(prefix) :]
    if full_name.split(".")[0] in package.split("."):
        return f".{full_name}"
    return full_name
