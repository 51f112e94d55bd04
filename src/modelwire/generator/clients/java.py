"""The ``java`` flavour: a Maven project on grpc-java and protobuf-java.

The project carries the .proto files and compiles them at build time through
org.xolstice's protobuf-maven-plugin, which fetches protoc and
protoc-gen-grpc-java from Maven Central at the versions the pom pins. That
keeps the generated Java (thousands of lines) out of the package, and the
gencode always matches the protobuf-java runtime beside it. (The newer
io.github.ascopes plugin needs Maven 3.9.6; Debian's Maven is 3.8.)

The Java copies of the .proto files differ from the API's in two ways that
change neither the wire format nor the JSON names: ``java_multiple_files``,
so every message is a top-level class, and fields whose Java accessors would
collide with methods protobuf-java generates itself (C10) are renamed with a
``_field`` suffix and keep their JSON name through ``json_name``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from modelwire.core.schema import ProtoField, ProtoFile, ProtoMessage, ProtoMethod
from modelwire.generator.clients import _native
from modelwire.generator.clients.base import (
    ClientContext,
    Flavour,
    header_line,
    register,
    render_template,
    with_header,
)
from modelwire.generator.proto_text import declaration, render_file

GRPC_JAVA = "1.83.1"  # protoc-gen-grpc-java 1.84+ has no linux-x86_64 build served
PROTOBUF_JAVA = "4.36.2"
PROTOBUF_MAVEN_PLUGIN = "0.6.1"
OS_MAVEN_PLUGIN = "1.7.1"

#: Getter names protobuf-java already gives every message (static or not) and
#: does not escape itself; a field spelling one of them fails javac.
_TAKEN_ACCESSORS = frozenset({"Descriptor", "DefaultInstance"})
#: Fields protoc itself escapes with a trailing underscore (``getClass_``).
_PROTOC_ESCAPED = frozenset(
    {
        *("class", "all_fields", "descriptor_for_type", "parser_for_type"),
        *("serialized_size", "default_instance_for_type", "unknown_fields"),
        *("initialization_error_string", "cached_size"),
    }
)
_RENAME_SUFFIX = "_field"
_JAVA_KEYWORDS = frozenset(
    {
        *("abstract", "assert", "boolean", "break", "byte", "case", "catch", "char"),
        *("class", "const", "continue", "default", "do", "double", "else", "enum"),
        *("extends", "final", "finally", "float", "for", "goto", "if", "implements"),
        *("import", "instanceof", "int", "interface", "long", "native", "new"),
        *("package", "private", "protected", "public", "return", "short", "static"),
        *("strictfp", "super", "switch", "synchronized", "this", "throw", "throws"),
        *("transient", "try", "void", "volatile", "while", "true", "false", "null"),
        *("var", "record", "yield"),
    }
)
_SCALAR_TYPES = {
    "string": "String",
    "bool": "boolean",
    "bytes": "com.google.protobuf.ByteString",
    "double": "double",
    "float": "float",
    **dict.fromkeys(("int32", "uint32", "sint32", "fixed32", "sfixed32"), "int"),
    **dict.fromkeys(("int64", "uint64", "sint64", "fixed64", "sfixed64"), "long"),
}


class JavaNameClash(ValueError):
    """A field cannot be given a Java accessor that compiles."""


@dataclass(frozen=True)
class JavaParameter:
    type: str
    name: str
    setter: str


@dataclass(frozen=True)
class JavaMethod:
    """One RPC as the client template lays it out."""

    task: str
    name: str  # the stub's method, e.g. classifySentiment
    doc: list[str]
    request: str
    response: str
    shape: str  # unary or server_stream; client streams use the async stub
    #: the inputs as arguments, when every one is a plain singular field
    parameters: list[JavaParameter] | None
    example_setters: list[tuple[str, str]]


@register
class JavaFlavour(Flavour):
    name = "java"

    def check_toolchain(self) -> None:
        install = "apt-get install maven openjdk-17-jdk-headless"
        _native.require_tool("mvn", install)
        _native.require_tool("javac", install)

    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        view = _view(context)
        folder = f"src/main/java/{view['java_package'].replace('.', '/')}"
        files = {
            f"src/main/proto/{f.path}": java_proto_text(f, context)
            for f in context.files
        }
        files["pom.xml"] = render_template("java", "pom.xml.j2", **view)
        files[f"{folder}/{view['client_class']}.java"] = render_template(
            "java", "Client.java.j2", **view
        )
        files[f"{folder}/{view['exception_class']}.java"] = render_template(
            "java", "Exception.java.j2", **view
        )
        files["README.md"] = render_template("java", "README.md.j2", **view)
        return {
            path: _with_java_header(path, text, context)
            for path, text in sorted(files.items())
        }


def java_proto_text(proto_file: ProtoFile, context: ClientContext) -> str:
    """The .proto text for protoc's Java generator (see the module docstring)."""
    renames = {m.name: _renamed_fields(m) for m in proto_file.messages}
    messages = tuple(
        dataclasses.replace(m, fields=tuple(renames[m.name][1]))
        if renames[m.name][0]
        else m
        for m in proto_file.messages
    )
    text = render_file(dataclasses.replace(proto_file, messages=messages))
    for message in messages:
        for field, original in renames[message.name][0]:
            text = _add_json_name(text, message, field, original, proto_file.package)
    return _with_option(text, proto_file.package, "java_multiple_files = true")


def _renamed_fields(
    message: ProtoMessage,
) -> tuple[list[tuple[ProtoField, ProtoField]], list[ProtoField]]:
    """(renamed, original) pairs and the message's fields after renaming."""
    renamed: list[tuple[ProtoField, ProtoField]] = []
    fields: list[ProtoField] = []
    taken = {java_camel(f.name) for f in message.fields}
    for field in message.fields:
        if _clashes(field, message):
            new = dataclasses.replace(field, name=field.name + _RENAME_SUFFIX)
            if java_camel(new.name) in taken:
                raise JavaNameClash(
                    f"{message.full_name}.{field.name}: its Java accessor clashes "
                    f"with protobuf-java's own, and the escaped name {new.name!r} "
                    "is taken by another field; rename one of them for the java client"
                )
            renamed.append((new, field))
            field = new
        fields.append(field)
    return renamed, fields


def _clashes(field: ProtoField, message: ProtoMessage) -> bool:
    camel = java_camel(field.name)
    if camel in _TAKEN_ACCESSORS:
        return True
    # A singular field "from" of the message's own type makes the builder's
    # mergeFrom(Message) twice.
    single = not (field.repeated or field.map_key)
    return camel == "From" and single and field.type == message.full_name


def _add_json_name(
    text: str,
    message: ProtoMessage,
    field: ProtoField,
    original: ProtoField,
    package: str,
) -> str:
    start = text.index(f"\nmessage {message.name} {{\n")
    end = text.index("\n}\n", start)
    line = declaration(field, package)
    json_name = original.json_name or lower_camel_json(original.name)
    patched = f'{line[:-1]} [json_name = "{json_name}"];'
    return text[:start] + text[start:end].replace(line, patched) + text[end:]


def _with_option(text: str, package: str, option: str) -> str:
    statement = f"package {package};\n"
    return text.replace(statement, f"{statement}\noption {option};\n", 1)


def java_camel(name: str) -> str:
    """protoc's Java spelling of a field name, capitalised (``all_fields`` -> ``AllFields``).

    As protoc does it: underscores go, and the letter after one or after a
    digit is upper-cased.
    """
    out: list[str] = []
    capitalise = True
    for char in name:
        if char == "_":
            capitalise = True
            continue
        out.append(char.upper() if capitalise else char)
        capitalise = char.isdigit()
    return "".join(out)


def lower_camel_json(name: str) -> str:
    """protoc's default JSON name: underscores dropped, the next letter upper-cased."""
    out: list[str] = []
    upper = False
    for char in name:
        if char == "_":
            upper = True
            continue
        out.append(char.upper() if upper else char)
        upper = False
    return "".join(out)


def _view(context: ClientContext) -> dict[str, object]:
    service_file = next(f for f in context.files if context.service in f.services)
    stem = java_camel(context.stem)
    view: dict[str, object] = {
        "group_id": ".".join(context.proto_package.split(".")[:-1]),
        "artifact_id": context.package_name("-"),
        "version": context.package_version,
        "java_package": service_file.package,
        "client_class": f"{stem}Client",
        "exception_class": f"{stem}Exception",
        "grpc_class": f"{context.service.name}Grpc",
        "service": context.service.name,
        "other_services": _native.other_services(context),
        "service_full_name": context.service.full_name,
        "library": context.library,
        "methods": [_method(context, m) for m in context.methods],
        "renamed": [
            f"{message.name}.{original.name}"
            for message in context.messages.values()
            for _, original in _renamed_fields(message)[0]
        ],
        "grpc_version": GRPC_JAVA,
        "protobuf_version": PROTOBUF_JAVA,
        "protobuf_maven_plugin": PROTOBUF_MAVEN_PLUGIN,
        "os_maven_plugin": OS_MAVEN_PLUGIN,
        "model_id": _native.EXAMPLE_MODEL_ID,
        "address": _native.EXAMPLE_ADDRESS,
    }
    _refuse_taken_class_names(context, view)
    return view


def _refuse_taken_class_names(context: ClientContext, view: dict[str, object]) -> None:
    names = {*(m.name for m in context.messages.values())}
    names |= {e.name for e in context.enums.values()}
    for key in ("client_class", "exception_class"):
        if view[key] in names:
            raise JavaNameClash(
                f"the java client's class {view[key]} has the name of a message or "
                f"enum in {view['java_package']}; rename that type"
            )


def _method(context: ClientContext, method: ProtoMethod) -> JavaMethod:
    request = context.message(method.input_type)
    return JavaMethod(
        task=method.name,
        name=_native.lower_camel(method.name),
        doc=_native.doc_lines(method.doc),
        request=request.name,
        response=_native.short_name(method.output_type),
        shape=_shape(method),
        parameters=_parameters(request, context),
        example_setters=[
            (f"set{java_camel(f.name)}", '"Hello, world!"')
            for f in _native.example_fields(request)
            if f.name not in _PROTOC_ESCAPED and not _clashes(f, request)
        ],
    )


def _shape(method: ProtoMethod) -> str:
    if method.client_streaming:
        return "client_stream"
    return "server_stream" if method.server_streaming else "unary"


def _parameters(
    request: ProtoMessage, context: ClientContext
) -> list[JavaParameter] | None:
    """The request's fields as Java parameters, or None when one is not plain."""
    parameters = []
    for field in request.fields:
        java_type = _plain_type(field, request, context)
        if java_type is None:
            return None
        name = _native.lower_camel(java_camel(field.name))
        if name in _JAVA_KEYWORDS:
            name += "_"
        parameters.append(
            JavaParameter(java_type, name, f"set{java_camel(field.name)}")
        )
    return parameters or None


def _plain_type(
    field: ProtoField, message: ProtoMessage, context: ClientContext
) -> str | None:
    """A singular field's Java type, unless presence or naming makes it awkward."""
    awkward = field.repeated or field.map_key or field.oneof or field.optional
    if awkward or field.name in _PROTOC_ESCAPED or _clashes(field, message):
        return None
    if field.is_message or field.is_enum:
        local = field.type.rsplit(".", 1)[0] == message.full_name.rsplit(".", 1)[0]
        return _native.short_name(field.type) if local else None
    return _SCALAR_TYPES.get(field.type)


def _with_java_header(path: str, text: str, context: ClientContext) -> str:
    if path.endswith(".xml"):
        declaration_line, rest = text.split("\n", 1)
        return f"{declaration_line}\n<!-- {header_line(context)} -->\n{rest}"
    return with_header(path, text, context)
