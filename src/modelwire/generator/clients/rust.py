"""The ``rust`` flavour: a Cargo crate on tonic and prost.

The crate carries the .proto files exactly as generated; its build script
compiles them with protox (a protobuf compiler written in Rust), so neither
generation nor ``cargo build`` needs a protoc binary. Timestamp and Duration
map to ``prost_types``, compiled once for every crate that uses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from modelwire.core.schema import ProtoMethod
from modelwire.generator.clients import _native
from modelwire.generator.clients.base import (
    ClientContext,
    Flavour,
    find_tool,
    register,
    render_template,
    with_header,
)

#: crate -> exact version; tonic 0.14 needs Rust 1.88.
CRATES = {
    "tonic": "0.14.9",
    "tonic-prost": "0.14.9",
    "tonic-prost-build": "0.14.9",
    "prost": "0.14.6",
    "prost-types": "0.14.6",
    "protox": "0.10.0",
    "tokio": "1.54.1",
}
RUST_VERSION = "1.88"
_RUST_KEYWORDS = frozenset(
    {
        *("as", "break", "const", "continue", "crate", "else", "enum", "extern"),
        *("false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod"),
        *("move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct"),
        *("super", "trait", "true", "type", "unsafe", "use", "where", "while"),
        *("async", "await", "dyn", "abstract", "become", "box", "do", "final"),
        *("macro", "override", "priv", "typeof", "unsized", "virtual", "yield"),
        *("try", "gen"),
    }
)


@dataclass(frozen=True)
class RustMethod:
    """One RPC as the client template lays it out."""

    task: str
    name: str  # snake_case, as tonic names the stub's method
    doc: list[str]
    request: str  # path from the crate root, e.g. text_sentiment::v1::Request
    response: str
    shape: str  # unary or server_stream; client streams go through request()
    example_fields: list[tuple[str, str]]


@dataclass
class ModuleNode:
    """One level of the proto package tree (``text_sentiment`` -> ``v1``)."""

    name: str
    package: str = ""  # set where a proto package's code is included
    children: list[ModuleNode] = field(default_factory=list)


@register
class RustFlavour(Flavour):
    name = "rust"

    def check_toolchain(self) -> None:
        _native.require_tool(
            "cargo", f"rustup (https://rustup.rs), Rust {RUST_VERSION} or newer"
        )

    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        view = _view(context)
        files = {f"proto/{path}": text for path, text in context.proto_sources.items()}
        files["Cargo.toml"] = render_template("rust", "Cargo.toml.j2", **view)
        files["build.rs"] = _rustfmt(render_template("rust", "build.rs.j2", **view))
        files["src/lib.rs"] = _rustfmt(render_template("rust", "lib.rs.j2", **view))
        files["README.md"] = render_template("rust", "README.md.j2", **view)
        return {
            path: with_header(path, text, context)
            for path, text in sorted(files.items())
        }


def crate_name(context: ClientContext) -> str:
    return context.package_name("-")


def rust_upper_camel(name: str) -> str:
    """prost's spelling of a type name: words capitalised (``JSONBlob`` -> ``JsonBlob``)."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    return "".join(w.capitalize() for w in words)


def rust_field(name: str) -> str:
    """prost's spelling of a field: snake_case, raw identifier for keywords."""
    snake = _native.snake_case(name)
    return f"r#{snake}" if snake in _RUST_KEYWORDS else snake


def _module_path(package: str) -> str:
    return "::".join(rust_field(p) for p in package.split("."))


def _type_path(full_name: str) -> str:
    package, _, name = full_name.rpartition(".")
    return f"{_module_path(package)}::{rust_upper_camel(name)}"


def module_tree(packages: list[str]) -> list[ModuleNode]:
    roots: list[ModuleNode] = []
    for package in sorted(set(packages)):
        level = roots
        node = None
        for part in package.split("."):
            node = next((n for n in level if n.name == rust_field(part)), None)
            if node is None:
                node = ModuleNode(rust_field(part))
                level.append(node)
            level = node.children
        if node is not None:
            node.package = package
    return roots


def _view(context: ClientContext) -> dict[str, object]:
    service_package = context.service.full_name.rpartition(".")[0]
    service_module = _module_path(service_package)
    stub_module = _native.snake_case(context.service.name) + "_client"
    return {
        "crate": crate_name(context),
        "crate_ident": crate_name(context).replace("-", "_"),
        "version": context.package_version,
        "library": context.library,
        "service": context.service.name,
        "other_services": _native.other_services(context),
        "service_full_name": context.service.full_name,
        "stub": f"{service_module}::{stub_module}::{context.service.name}Client",
        "service_module": service_module,
        "other_services_stubs": [
            f"{_native.snake_case(name)}_client::{name}Client"
            for name in _native.other_services(context)
        ],
        "modules": module_tree([f.package for f in context.files]),
        "protos": sorted(p for p in context.proto_sources if p.endswith(".proto")),
        "methods": [_method(context, m) for m in context.methods],
        "crates": CRATES,
        "rust_version": RUST_VERSION,
        "model_id": _native.EXAMPLE_MODEL_ID,
        "address": f"http://{_native.EXAMPLE_ADDRESS}",
    }


def _method(context: ClientContext, method: ProtoMethod) -> RustMethod:
    request = context.message(method.input_type)
    if method.client_streaming:
        shape = "client_stream"
    else:
        shape = "server_stream" if method.server_streaming else "unary"
    return RustMethod(
        task=method.name,
        name=_native.snake_case(method.name),
        doc=_native.doc_lines(method.doc),
        request=_type_path(method.input_type),
        response=_type_path(method.output_type),
        shape=shape,
        example_fields=[
            (rust_field(f.name), '"Hello, world!".into()')
            for f in _native.example_fields(request)
        ],
    )


def _rustfmt(text: str) -> str:
    """rustfmt's layout where rustfmt is installed; the template's own otherwise."""
    rustfmt = find_tool("rustfmt")
    if rustfmt is None:
        return text
    return _native.format_text(text, ".rs", [rustfmt, "--edition", "2021"])
