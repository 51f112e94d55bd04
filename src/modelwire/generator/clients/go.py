"""The ``go`` flavour: a Go module with protoc-gen-go output and a thin client.

The messages and the service stub come from the official plugins, run here at
generation time and checked into the package, so a Go user needs no protoc.
The .proto files stay exactly as generated: their Go import paths are given
to the plugins as ``M`` options. go.mod and go.sum are fixed text that only
changes with the pinned gRPC and protobuf versions, so rendering never needs
the network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from modelwire.core.schema import ProtoMethod
from modelwire.generator.clients import _native
from modelwire.generator.clients.base import (
    ClientContext,
    Flavour,
    ToolchainMissing,
    find_tool,
    register,
    render_template,
    run_protoc,
    with_header,
)

PROTOC_GEN_GO = "v1.36.12"
PROTOC_GEN_GO_GRPC = "1.6.2"
#: Go module path -> pinned version; go.mod and go.sum are rendered from these.
GRPC_GO = "v1.85.0"
PROTOBUF_GO = "v1.36.12"
GO_VERSION = "1.26.0"

#: plugin -> (version it reports, ``go install`` target); tools/go-plugins.txt
#: lists the same targets (a test keeps the two equal).
_PLUGINS = {
    "protoc-gen-go": (
        PROTOC_GEN_GO,
        f"google.golang.org/protobuf/cmd/protoc-gen-go@{PROTOC_GEN_GO}",
    ),
    "protoc-gen-go-grpc": (
        PROTOC_GEN_GO_GRPC,
        f"google.golang.org/grpc/cmd/protoc-gen-go-grpc@v{PROTOC_GEN_GO_GRPC}",
    ),
}
_GO_KEYWORDS = frozenset(
    {
        *("break", "case", "chan", "const", "continue", "default", "defer"),
        *("else", "fallthrough", "for", "func", "go", "goto", "if", "import"),
        *("interface", "map", "package", "range", "return", "select", "struct"),
        *("switch", "type", "var"),
    }
)


@dataclass(frozen=True)
class GoMethod:
    """One RPC as the client template lays it out."""

    name: str
    doc: list[str]
    request: str  # qualified Go type, e.g. textsentimentv1.ClassifySentimentRequest
    response: str
    shape: str  # unary, server_stream, client_stream or bidi_stream
    example_fields: list[tuple[str, str]]  # Go field name, Go literal


@register
class GoFlavour(Flavour):
    name = "go"

    def check_toolchain(self) -> None:
        _native.require_tool("go", "Go 1.26 or newer from https://go.dev/dl/")
        for plugin in _PLUGINS:
            self._plugin(plugin)

    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        module = module_path(context)
        files: dict[str, str] = {}
        for path, content in self._stubs(context, module).items():
            files[path] = with_header(path, content.decode("utf-8"), context)
        view = _view(context, module)
        files["client.go"] = _gofmt(
            with_header(
                "client.go", render_template("go", "client.go.j2", **view), context
            )
        )
        files["go.mod"] = with_header(
            "go.mod", render_template("go", "go.mod.j2", **view), context
        )
        files["go.sum"] = render_template("go", "go.sum.j2")
        files["README.md"] = with_header(
            "README.md", render_template("go", "README.md.j2", **view), context
        )
        return dict(sorted(files.items()))

    def _stubs(self, context: ClientContext, module: str) -> dict[str, bytes]:
        mapping = ",".join(
            f"M{path}={go_import_path(module, path)};{go_package_name(path, context)}"
            for path in sorted(context.proto_sources)
        )
        options = f"module={module},{mapping}"
        return run_protoc(
            context.proto_sources,
            [
                "--go_out={out}",
                f"--go_opt={options}",
                "--go-grpc_out={out}",
                f"--go-grpc_opt={options}",
            ],
            plugins={name: self._plugin(name) for name in _PLUGINS},
        )

    def _plugin(self, name: str) -> Path:
        """The pinned plugin; another version would change the checked-in output."""
        version, target = _PLUGINS[name]
        install = (
            "bash scripts/setup-clients.sh (installs tools/go/bin), or "
            f"go install {target}"
        )
        env_var = "MODELWIRE_" + name.upper().replace("-", "_")
        found = find_tool(name, env_var, _go_bin_folders())
        if found is None:
            raise ToolchainMissing(f"{name} is not installed; run: {install}")
        reported = _native.tool_output([found, "--version"])
        if not reported.endswith(f" {version}"):
            raise ToolchainMissing(
                f"{found} reports {reported!r} but modelwire pins {name} {version}; "
                f"run: {install}"
            )
        return found


def module_path(context: ClientContext) -> str:
    """``--go-module``, else ``--client-name``, else ``example.com/<stem>-client``."""
    if context.settings.go_module:
        return context.settings.go_module
    if context.settings.name:
        return context.settings.name
    return f"example.com/{context.package_name('-')}"


def go_import_path(module: str, proto_path: str) -> str:
    folder = proto_path.rsplit("/", 1)[0] if "/" in proto_path else ""
    return f"{module}/{folder}" if folder else module


def go_package_name(proto_path: str, context: ClientContext) -> str:
    """buf's convention: the proto package with separators dropped (``textsentimentv1``)."""
    package = next(f.package for f in context.files if f.path == proto_path)
    return _identifier(package.replace(".", "").replace("_", ""))


def root_package_name(context: ClientContext) -> str:
    return _identifier(context.stem.replace("_", ""))


def go_camel_case(name: str) -> str:
    """A proto name as protoc-gen-go spells the Go identifier (``names_by_id`` -> ``NamesById``)."""
    out: list[str] = []
    i = 0
    while i < len(name):
        char = name[i]
        if char == "_" and i == 0:
            out.append("X")
        elif char == "_" and i + 1 < len(name) and name[i + 1].islower():
            pass  # the next letter is capitalised instead
        elif char.isdigit():
            out.append(char)
        else:
            out.append(char.upper())
            while i + 1 < len(name) and name[i + 1].islower():
                i += 1
                out.append(name[i])
        i += 1
    return "".join(out)


def _identifier(text: str) -> str:
    cleaned = re.sub(r"[^0-9a-zA-Z]", "", text).lower() or "client"
    if cleaned[0].isdigit() or cleaned in _GO_KEYWORDS:
        cleaned = f"pkg{cleaned}"
    return cleaned


def _view(context: ClientContext, module: str) -> dict[str, object]:
    service_file = next(f for f in context.files if context.service in f.services)
    alias = go_package_name(service_file.path, context)
    return {
        "module": module,
        "package": root_package_name(context),
        "stubs_import": go_import_path(module, service_file.path),
        "stubs_alias": alias,
        "service": context.service.name,
        "other_services": _native.other_services(context),
        "service_full_name": context.service.full_name,
        "library": context.library,
        "version": context.package_version,
        "methods": [_method(context, m, alias) for m in context.methods],
        "go_version": GO_VERSION,
        "grpc_version": GRPC_GO,
        "protobuf_version": PROTOBUF_GO,
        "model_id": _native.EXAMPLE_MODEL_ID,
        "address": _native.EXAMPLE_ADDRESS,
    }


def _method(context: ClientContext, method: ProtoMethod, alias: str) -> GoMethod:
    request = context.message(method.input_type)
    return GoMethod(
        name=go_camel_case(method.name),
        doc=_native.doc_lines(method.doc),
        request=f"{alias}.{go_camel_case(request.name)}",
        response=f"{alias}.{go_camel_case(_native.short_name(method.output_type))}",
        shape=_shape(method),
        example_fields=[
            (go_camel_case(f.name), '"Hello, world!"')
            for f in _native.example_fields(request)
        ],
    )


def _shape(method: ProtoMethod) -> str:
    if method.client_streaming and method.server_streaming:
        return "bidi_stream"
    if method.client_streaming:
        return "client_stream"
    return "server_stream" if method.server_streaming else "unary"


def _go_bin_folders() -> list[Path]:
    """A source checkout's tools/go/bin (scripts/setup-clients.sh), then GOBIN and GOPATH."""
    checkout = Path(__file__).resolve().parents[4]
    folders = [Path.cwd() / "tools" / "go" / "bin", checkout / "tools" / "go" / "bin"]
    folders += [Path(os.environ["GOBIN"])] if os.environ.get("GOBIN") else []
    gopath = os.environ.get("GOPATH") or str(Path.home() / "go")
    folders += [Path(p) / "bin" for p in gopath.split(os.pathsep) if p]
    return folders


def _gofmt(text: str) -> str:
    gofmt = find_tool("gofmt")
    if gofmt is None:
        go = find_tool("go")
        candidate = go.resolve().parent / "gofmt" if go else None
        gofmt = candidate if candidate and candidate.exists() else None
    return _native.format_text(text, ".go", [gofmt, "-w"]) if gofmt else text
