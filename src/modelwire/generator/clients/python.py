"""The ``python`` flavour: grpcio stubs from protoc plus a typed convenience client.

protoc's Python output imports its siblings by proto package
(``from text_sentiment.v1 import ...``), which would collide with the modelwire
library of the same name in a process that has both. The stubs are therefore
moved under ``<package>.proto`` and their imports rewritten, so the client
installs and imports like any other package.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from modelwire.core.schema import ProtoField, ProtoFile, ProtoMethod
from modelwire.generator.clients import _python_naming as naming
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

logger = logging.getLogger(__name__)

_PROTOBUF_GUARD = re.compile(r"Domain\.PUBLIC,\s*(\d+),\s*(\d+),\s*(\d+),")
_GRPC_GUARD = re.compile(r"GRPC_GENERATED_VERSION = '([\d.]+)'")


@dataclass(frozen=True)
class Argument:
    """One keyword argument of a client method: a field of the request."""

    name: str
    proto_name: str
    annotation: str
    default: str
    #: a literal for the README example, or "" to leave the argument out
    example: str


@dataclass(frozen=True)
class Method:
    name: str
    rpc: str
    doc: str
    request: str
    response: str
    arguments: tuple[Argument, ...]
    client_streaming: bool
    server_streaming: bool

    @property
    def example_arguments(self) -> str:
        return ", ".join(f"{a.name}={a.example}" for a in self.arguments if a.example)


@dataclass(frozen=True)
class StubModule:
    """One protoc output module, relocated under ``<package>.proto``."""

    proto_module: str  # conformance.v1.conformance_types_pb2
    alias: str  # conformance_types_pb2

    @property
    def folder(self) -> str:
        """The module's proto package as a Python package: ``conformance.v1``."""
        return self.proto_module.rsplit(".", 1)[0]


class PythonModel:
    """The view the templates lay out, built from one ``ClientContext``."""

    def __init__(self, context: ClientContext) -> None:
        self.context = context
        self.distribution = context.package_name("-")
        self.package = naming.import_name(self.distribution)
        self.client_class = context.service.name.removesuffix("Service") + "Client"
        self.stubs = [_stub_module(f) for f in context.files]
        self._alias_of = {
            f.path: stub.alias
            for f, stub in zip(context.files, self.stubs, strict=True)
        }
        self._file_of = {
            t.full_name: f.path for f in context.files for t in (*f.messages, *f.enums)
        }
        service_path = _service_file(context).path
        self.service_stub = next(
            s
            for f, s in zip(context.files, self.stubs, strict=True)
            if f.path == service_path
        )

    def type_ref(self, full_name: str) -> str:
        return (
            f"{self._alias_of[self._file_of[full_name]]}.{full_name.rsplit('.', 1)[1]}"
        )

    @property
    def methods(self) -> list[Method]:
        return [self._method(m) for m in self.context.methods]

    @property
    def error_names(self) -> tuple[str, ...]:
        return ERROR_NAMES

    @property
    def error_codes(self) -> list[tuple[str, str]]:
        """(class name, gRPC status code name) for every status but OK."""
        return [(n, naming.snake_case(n).upper()) for n in ERROR_NAMES[1:]]

    @property
    def export_imports(self) -> list[tuple[StubModule, list[str]]]:
        """Per stub module, its messages and enums re-exported by ``__init__``."""
        exports = self.exports
        pairs = [(s, [n for a, n in exports if a == s.alias]) for s in self.stubs]
        return [(stub, names) for stub, names in pairs if names]

    @property
    def all_names(self) -> list[str]:
        names = [self.client_class, *ERROR_NAMES, *HELPER_NAMES]
        return sorted(names + [n for _, n in self.exports])

    @property
    def exports(self) -> list[tuple[str, str]]:
        """(alias, name) of every top-level message and enum whose name is unique."""
        reserved = {self.client_class, *ERROR_NAMES, *HELPER_NAMES}
        names = [
            (self._alias_of[f.path], t.name)
            for f in self.context.files
            for t in (*f.enums, *f.messages)
        ]
        counts: dict[str, int] = {}
        for _, name in names:
            counts[name] = counts.get(name, 0) + 1
        return [(a, n) for a, n in names if counts[n] == 1 and n not in reserved]

    def _method(self, method: ProtoMethod) -> Method:
        request = self.context.message(method.input_type)
        return Method(
            name=naming.argument_name(naming.snake_case(method.name)),
            rpc=method.name,
            doc=method.doc.strip().splitlines()[0] if method.doc.strip() else "",
            request=self.type_ref(method.input_type),
            response=self.type_ref(method.output_type),
            arguments=tuple(self._argument(f) for f in request.fields),
            client_streaming=method.client_streaming,
            server_streaming=method.server_streaming,
        )

    def _argument(self, field: ProtoField) -> Argument:
        base = self._value_annotation(field.type, naming.single_kind(field))
        example = ""
        if field.map_key:
            key = naming.PY_SCALARS[field.map_key]
            annotation, default = f"Mapping[{key}, {base}] | None", "None"
        elif field.repeated:
            annotation, default = f"Sequence[{base}]", "()"
        elif field.optional or field.oneof or field.is_message:
            annotation, default = f"{base} | None", "None"
        elif field.is_enum:
            annotation, default = base, "0"
            example = f'"{self._first_enum_value(field.type)}"'
        else:
            annotation = base
            default = naming.ZERO_VALUES[base]
            example = naming.EXAMPLE_VALUES[base]
        return Argument(
            naming.argument_name(field.name), field.name, annotation, default, example
        )

    def _value_annotation(self, proto_type: str, kind: str) -> str:
        if kind == "timestamp":
            return "datetime.datetime"
        if kind == "duration":
            return "datetime.timedelta"
        if kind == "enum":
            return f"{self.type_ref(proto_type)}.ValueType | str"
        if kind == "message":
            return f"{self.type_ref(proto_type)} | Mapping[str, Any]"
        return naming.PY_SCALARS[proto_type]

    def _first_enum_value(self, full_name: str) -> str:
        values = self.context.enums[full_name].values
        return next((v.name for v in values if v.number != 0), values[0].name)


#: Names the package's ``__init__`` defines besides the messages.
ERROR_NAMES = (
    "ClientError",
    "Cancelled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
)
HELPER_NAMES = ("to_dict", "to_json", "from_dict", "from_json", "build_message")


@register
class PythonFlavour(Flavour):
    name = "python"

    def check_toolchain(self) -> None:
        try:
            import grpc_tools  # noqa: F401 - only its presence matters
        except ImportError:
            raise ToolchainMissing(
                "the python client needs grpcio-tools: pip install grpcio-tools"
            ) from None

    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        model = PythonModel(context)
        stubs = _relocated_stubs(context, model.package)
        files: dict[str, str] = {**stubs, **_package_inits(model.package, stubs)}
        versions = _runtime_floors(stubs)
        for name in ("__init__.py", "client.py", "errors.py", "messages.py"):
            files[f"{model.package}/{name}"] = render_template(
                "python", f"{name}.j2", model=model, context=context
            )
        files = format_python(files)
        files["pyproject.toml"] = render_template(
            "python", "pyproject.toml.j2", model=model, context=context, **versions
        )
        files["README.md"] = render_template(
            "python", "README.md.j2", model=model, context=context
        )
        files[f"{model.package}/py.typed"] = ""
        return {p: with_header(p, t, context) if t else t for p, t in files.items()}


def _service_file(context: ClientContext) -> ProtoFile:
    return next(f for f in context.files if context.service in f.services)


def _stub_module(proto_file: ProtoFile) -> StubModule:
    module = PurePosixPath(proto_file.path).with_suffix("").as_posix().replace("/", ".")
    return StubModule(f"{module}_pb2", f"{module.rsplit('.', 1)[-1]}_pb2")


def _relocated_stubs(context: ClientContext, package: str) -> dict[str, str]:
    """protoc's messages, .pyi stubs and gRPC stubs, moved under ``package.proto``."""
    outputs = run_protoc(
        context.proto_sources,
        ["--python_out={out}", "--pyi_out={out}", "--grpc_python_out={out}"],
    )
    with_services = {f.path.removesuffix(".proto") for f in context.files if f.services}
    proto_packages = sorted({f.package for f in context.files}, key=len, reverse=True)
    stubs = {}
    for relative, content in outputs.items():
        stem = relative.removesuffix("_pb2_grpc.py")
        if relative.endswith("_pb2_grpc.py") and stem not in with_services:
            continue  # protoc writes an empty gRPC module for files without services
        text = _rewrite_imports(content.decode("utf-8"), proto_packages, package)
        stubs[f"{package}/proto/{relative}"] = text
    return stubs


def _rewrite_imports(text: str, proto_packages: list[str], package: str) -> str:
    for proto_package in proto_packages:
        escaped = re.escape(proto_package)
        text = re.sub(
            rf"^from {escaped} import ",
            f"from {package}.proto.{proto_package} import ",
            text,
            flags=re.MULTILINE,
        )
        # The module name protoc records for the generated classes' __module__.
        text = re.sub(rf"'({escaped}\.\w+_pb2)'", rf"'{package}.proto.\1'", text)
    return text


def _package_inits(package: str, stubs: dict[str, str]) -> dict[str, str]:
    folders = {str(PurePosixPath(p).parent) for p in stubs}
    for folder in list(folders):
        path = PurePosixPath(folder)
        while str(path) != package:
            folders.add(str(path))
            path = path.parent
    return {f"{folder}/__init__.py": "" for folder in sorted(folders)}


def _runtime_floors(stubs: dict[str, str]) -> dict[str, str]:
    """The protobuf and grpcio versions the stubs check for when imported."""
    text = "\n".join(stubs.values())
    protobuf = _PROTOBUF_GUARD.search(text)
    grpc = _GRPC_GUARD.search(text)
    return {
        "protobuf_floor": ".".join(protobuf.groups()) if protobuf else "5.26.1",
        "grpc_floor": grpc.group(1) if grpc else "1.62.0",
    }


def format_python(files: dict[str, str]) -> dict[str, str]:
    """``files`` with every .py and .pyi run through ruff format, when ruff exists.

    ``--isolated`` keeps the caller's ruff settings out, so the output is the
    same wherever it is generated.
    """
    ruff = find_tool("ruff", "MODELWIRE_RUFF", [Path(sys.executable).parent])
    if ruff is None:
        logger.warning("ruff not found: generated Python is left unformatted")
        return files
    with tempfile.TemporaryDirectory(prefix="modelwire-ruff-") as tmp:
        root = Path(tmp)
        for relative, text in files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text, encoding="utf-8")
        # Unused imports and import order in the templated modules only: protoc's
        # imports register descriptors, so none of them is unused.
        ours = [
            str(root / p) for p in files if p.endswith(".py") and "/proto/" not in p
        ]
        lint = [ruff, "check", "--isolated", "--fix", "--quiet", "--select", "I,F401"]
        run_tool([*lint, "--exit-zero", *ours])
        run_tool([ruff, "format", "--isolated", "--quiet", "--line-length", "88", tmp])
        return {p: (root / p).read_text(encoding="utf-8") for p in files}
