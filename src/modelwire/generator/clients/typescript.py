"""The ``typescript`` flavour: an ESM npm package for Node on @grpc/grpc-js.

Messages come from protoc-gen-es (protobuf-es), not ts-proto: protobuf-es
implements the proto3 JSON mapping in full (Durations as ``"1.5s"``,
Timestamps before 1970, any RFC 3339 offset), keeps 64-bit integers as
``bigint``, and escapes names such as ``constructor`` only in TypeScript
identifiers (``constructor$``) while the wire and JSON keep the proto names.
ts-proto 2.x writes Durations as ``{seconds, nanos}`` objects and breaks
Timestamps before the epoch, which the conformance vectors reject. The
client class is ours: one method per task over grpc-js's generic client.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from modelwire.core.schema import ProtoFile, ProtoMethod
from modelwire.generator.clients.base import (
    ClientContext,
    Flavour,
    ToolchainMissing,
    find_tool,
    register,
    render_template,
    run_protoc,
    run_tool,
    with_header,
)

#: Exact versions the package is generated with and depends on; tools/package.json
#: installs the same (a test keeps the two equal).
PINS = {
    "@bufbuild/protobuf": "2.17.0",
    "@bufbuild/protoc-gen-es": "2.17.0",
    "@grpc/grpc-js": "1.14.7",
    "@types/node": "20.19.43",
    "typescript": "5.9.3",
}
RUNTIME_DEPENDENCIES = ("@bufbuild/protobuf", "@grpc/grpc-js")
BUILD_DEPENDENCIES = ("@types/node", "typescript")
PLUGIN = "protoc-gen-es"
INSTALL_HINT = (
    "bash scripts/setup-clients.sh (installs tools/node_modules), or "
    f"npm install -g @bufbuild/protoc-gen-es@{PINS['@bufbuild/protoc-gen-es']}"
)
#: Members of the client class a task method must not shadow.
_CLIENT_MEMBERS = frozenset({"close", "constructor", "unary", "serverStream", "grpc"})


@dataclass(frozen=True)
class TsMethod:
    name: str
    rpc: str
    path: str
    doc: str
    request: str  # module.NameSchema
    response: str
    response_type: str  # module.Name
    server_streaming: bool
    example: str


@dataclass(frozen=True)
class TsModule:
    alias: str  # conformance_service
    path: str  # ./gen/conformance/v1/conformance_service_pb.js


class TypeScriptModel:
    """The view the templates lay out."""

    def __init__(self, context: ClientContext) -> None:
        self.context = context
        self.package = context.package_name("-")
        self.client_class = context.service.name.removesuffix("Service") + "Client"
        self.modules = _modules(context.files)
        self._module_of = {
            t.full_name: module.alias
            for f, module in zip(context.files, self.modules, strict=True)
            for t in (*f.messages, *f.enums)
        }
        self.dependencies = {n: PINS[n] for n in RUNTIME_DEPENDENCIES}
        self.dev_dependencies = {n: PINS[n] for n in BUILD_DEPENDENCIES}

    def ref(self, full_name: str, suffix: str = "") -> str:
        return f"{self._module_of[full_name]}.{full_name.rsplit('.', 1)[1]}{suffix}"

    @property
    def methods(self) -> list[TsMethod]:
        return [self._method(m) for m in self.context.methods if not m.client_streaming]

    @property
    def skipped(self) -> list[str]:
        """Client-streaming RPCs: reachable through grpc-js directly, not wrapped."""
        return [m.name for m in self.context.methods if m.client_streaming]

    @property
    def package_json(self) -> str:
        return render_template("typescript", "package.json.j2", model=self)

    def _method(self, method: ProtoMethod) -> TsMethod:
        name = method.name[:1].lower() + method.name[1:]
        request = self.context.message(method.input_type)
        example = ", ".join(
            f"{_json_name(f.name)}: {_EXAMPLES[f.type]}"
            for f in request.fields
            if f.type in _EXAMPLES and not (f.repeated or f.optional or f.oneof)
        )
        return TsMethod(
            name=f"{name}$" if name in _CLIENT_MEMBERS else name,
            rpc=method.name,
            path=f"/{self.context.service.full_name}/{method.name}",
            doc=method.doc.strip().splitlines()[0] if method.doc.strip() else "",
            request=self.ref(method.input_type, "Schema"),
            response=self.ref(method.output_type, "Schema"),
            response_type=self.ref(method.output_type),
            server_streaming=method.server_streaming,
            example=f"{{ {example} }}" if example else "{}",
        )


_EXAMPLES = {"string": '"Hello"', "bool": "true", "double": "0.5", "float": "0.5"}


def _json_name(proto_name: str) -> str:
    """protobuf-es's property name: lowerCamelCase of the proto name."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), proto_name)


def _modules(files: tuple[ProtoFile, ...]) -> list[TsModule]:
    modules: list[TsModule] = []
    seen: set[str] = set()
    for proto_file in files:
        stem = PurePosixPath(proto_file.path).with_suffix("")
        alias = stem.name
        while alias in seen:
            alias = f"{alias}_"
        seen.add(alias)
        modules.append(TsModule(alias, f"./gen/{stem.as_posix()}_pb.js"))
    return modules


@register
class TypeScriptFlavour(Flavour):
    name = "typescript"

    def check_toolchain(self) -> None:
        if shutil.which("node") is None:
            raise ToolchainMissing(
                "the typescript client needs Node.js 18+ on PATH: "
                "https://nodejs.org or your system's package manager"
            )
        plugin = self._plugin()
        if plugin is None:
            raise ToolchainMissing(
                f"the typescript client needs {PLUGIN}: {INSTALL_HINT}; or set "
                "MODELWIRE_PROTOC_GEN_ES to its path"
            )
        version = run_tool([plugin, "--version"]).strip().removeprefix(f"{PLUGIN} v")
        if version != PINS["@bufbuild/protoc-gen-es"]:
            raise ToolchainMissing(
                f"{plugin} is version {version}; the typescript client is pinned to "
                f"{PINS['@bufbuild/protoc-gen-es']}: {INSTALL_HINT}"
            )

    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        model = TypeScriptModel(context)
        plugin = self._plugin()
        assert plugin is not None, "check_toolchain() runs first"
        generated = run_protoc(
            context.proto_sources,
            ["--es_out={out}", "--es_opt=target=ts,import_extension=js"],
            plugins={PLUGIN: plugin},
        )
        files: dict[str, str] = {
            f"src/gen/{p}": t.decode("utf-8") for p, t in generated.items()
        }
        for name in ("client.ts", "index.ts", "README.md"):
            target = name if name == "README.md" else f"src/{name}"
            files[target] = render_template(
                "typescript", f"{name}.j2", model=model, context=context
            )
        files["tsconfig.json"] = render_template("typescript", "tsconfig.json.j2")
        files["package.json"] = _pretty_json(model.package_json)
        files[".gitignore"] = "node_modules/\ndist/\n"
        return {p: with_header(p, t, context) for p, t in files.items()}

    @staticmethod
    def _plugin() -> Path | None:
        # The working folder's node_modules, then a source checkout's tools/.
        checkout = Path(__file__).resolve().parents[4]
        folders = [Path.cwd() / "node_modules", Path.cwd() / "tools" / "node_modules"]
        folders.append(checkout / "tools" / "node_modules")
        return find_tool(
            PLUGIN, "MODELWIRE_PROTOC_GEN_ES", [f / ".bin" for f in folders]
        )


def _pretty_json(text: str) -> str:
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
