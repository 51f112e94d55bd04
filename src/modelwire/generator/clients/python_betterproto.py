"""The ``python-betterproto`` flavour: betterproto2 dataclasses, sync and async clients.

betterproto2's output uses relative imports only, so it sits under
``<package>.proto`` unchanged. Its sync stub cannot send metadata or a
deadline, so the sync client calls the grpcio channel itself with the
generated (de)serialisers; the async client wraps the grpclib stub.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from modelwire.core.schema import ProtoField, ProtoMethod
from modelwire.generator.clients import _python_naming as naming
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
from modelwire.generator.clients.python import ERROR_NAMES, format_python

#: Exact versions, as in tools/requirements-clients.txt (a test keeps them equal).
BETTERPROTO2 = "0.10.0"
BETTERPROTO2_COMPILER = "0.10.1"
GRPCIO_FLOOR = "1.72.1"
GRPCLIB_FLOOR = "0.4.8"
INSTALL_HINT = (
    f'pip install "betterproto2[grpcio,grpclib]=={BETTERPROTO2}" '
    f'"betterproto2-compiler=={BETTERPROTO2_COMPILER}"'
)
PLUGIN = "protoc-gen-python_betterproto2"


@dataclass(frozen=True)
class Argument:
    name: str  # keyword argument
    attribute: str  # the dataclass field betterproto2 generated
    annotation: str
    default: str
    example: str
    converter: str  # "", "list" or "dict": how the argument becomes the field

    @property
    def value(self) -> str:
        """The expression that fills the dataclass field."""
        if self.converter == "list":
            return f"list({self.name})"
        if self.converter == "dict":
            return f"dict({self.name} or {{}})"
        return self.name


@dataclass(frozen=True)
class Method:
    name: str
    rpc: str
    path: str
    doc: str
    request: str
    response: str
    arguments: tuple[Argument, ...]
    client_streaming: bool
    server_streaming: bool

    @property
    def example_arguments(self) -> str:
        return ", ".join(f"{a.name}={a.example}" for a in self.arguments if a.example)


class BetterprotoModel:
    """The view the templates lay out."""

    def __init__(self, context: ClientContext) -> None:
        from betterproto2_compiler.compile import naming as bp_naming

        self._bp = bp_naming
        self.context = context
        base = context.package_name("-")
        self.distribution = f"{base}-betterproto"
        self.package = naming.import_name(self.distribution)
        self.client_class = context.service.name.removesuffix("Service") + "Client"
        self.async_client_class = f"Async{self.client_class}"
        self.service_module = context.proto_package
        self.error_names = ERROR_NAMES
        self.error_codes = [(n, naming.snake_case(n).upper()) for n in ERROR_NAMES[1:]]
        self.betterproto2 = BETTERPROTO2
        self.grpcio_floor = GRPCIO_FLOOR
        self.grpclib_floor = GRPCLIB_FLOOR
        #: set by render(): whether the package gets durations.py
        self.corrects_durations = False

    @property
    def modules(self) -> list[str]:
        """The generated modules of the library's own packages, as import paths."""
        packages = sorted({f.package for f in self.context.files})
        return [f"{self.package}.proto.{p}" for p in packages]

    def type_ref(self, full_name: str) -> str:
        package, name = full_name.rsplit(".", 1)
        return f"{self._alias(package)}.{self._bp.pythonize_class_name(name)}"

    def module_aliases(self) -> list[tuple[str, str]]:
        packages = sorted({f.package for f in self.context.files})
        return [(f"{self.package}.proto.{p}", self._alias(p)) for p in packages]

    @property
    def methods(self) -> list[Method]:
        return [self._method(m) for m in self.context.methods]

    def _alias(self, package: str) -> str:
        return package.replace(".", "_")

    def _method(self, method: ProtoMethod) -> Method:
        request = self.context.message(method.input_type)
        return Method(
            name=self._bp.pythonize_method_name(method.name),
            rpc=method.name,
            path=f"/{self.context.service.full_name}/{method.name}",
            doc=method.doc.strip().splitlines()[0] if method.doc.strip() else "",
            request=self.type_ref(method.input_type),
            response=self.type_ref(method.output_type),
            arguments=tuple(self._argument(f) for f in request.fields),
            client_streaming=method.client_streaming,
            server_streaming=method.server_streaming,
        )

    def _argument(self, field: ProtoField) -> Argument:
        attribute = self._bp.pythonize_field_name(field.name)
        name = f"{attribute}_" if attribute in naming.CALL_OPTIONS else attribute
        base = self._value_annotation(field)
        example, converter = "", ""
        if field.map_key:
            key = naming.PY_SCALARS[field.map_key]
            annotation, default = f"Mapping[{key}, {base}] | None", "None"
            converter = "dict"
        elif field.repeated:
            annotation, default, converter = f"Sequence[{base}]", "()", "list"
        elif field.optional or field.oneof or field.is_message:
            annotation, default = f"{base} | None", "None"
        elif field.is_enum:
            first = self._first_member(field.type)
            annotation, default = base, f"{base}(0)"
            example = f"{base}.{first}"
        else:
            annotation, default = base, naming.ZERO_VALUES[base]
            example = naming.EXAMPLE_VALUES[base]
        return Argument(name, attribute, annotation, default, example, converter)

    def _value_annotation(self, field: ProtoField) -> str:
        kind = naming.single_kind(field)
        if kind == "timestamp":
            return "datetime.datetime"
        if kind == "duration":
            return "datetime.timedelta"
        if kind in ("enum", "message"):
            return self.type_ref(field.type)
        return naming.PY_SCALARS[field.type]

    def _first_member(self, full_name: str) -> str:
        enum = self.context.enums[full_name]
        value = next((v for v in enum.values if v.number != 0), enum.values[0])
        return self._bp.pythonize_enum_member_name(value.name, enum.name)


@register
class BetterprotoFlavour(Flavour):
    name = "python-betterproto"

    def check_toolchain(self) -> None:
        try:
            from importlib.metadata import PackageNotFoundError, version

            installed = version("betterproto2-compiler")
        except PackageNotFoundError:
            installed = ""
        if installed != BETTERPROTO2_COMPILER or self._plugin() is None:
            found = f" (found {installed})" if installed else ""
            raise ToolchainMissing(
                f"the python-betterproto client needs betterproto2-compiler "
                f"{BETTERPROTO2_COMPILER}{found}: {INSTALL_HINT}"
            )

    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        model = BetterprotoModel(context)
        plugin = self._plugin()
        assert plugin is not None, "check_toolchain() runs first"
        with tempfile.TemporaryDirectory(prefix="modelwire-betterproto-") as tmp:
            generated = run_protoc(
                context.proto_sources,
                [
                    "--python_betterproto2_out={out}",
                    "--python_betterproto2_opt=client_generation=sync_async",
                ],
                plugins={PLUGIN: _with_ruff_on_path(plugin, Path(tmp))},
            )
        files = {
            f"{model.package}/proto/{p}": t.decode("utf-8")
            for p, t in generated.items()
        }
        # errors.py is the python flavour's: both raise the same exceptions.
        templates = {"__init__.py": self.name, "client.py": self.name}
        templates |= {"errors.py": "python", "messages.py": self.name}
        model.corrects_durations = _defines_duration(files, model.package)
        if model.corrects_durations:
            templates["durations.py"] = self.name
        for name, folder in templates.items():
            files[f"{model.package}/{name}"] = render_template(
                folder, f"{name}.j2", model=model, context=context
            )
        files = format_python(files)
        for name in ("pyproject.toml", "README.md"):
            files[name] = render_template(
                "python-betterproto", f"{name}.j2", model=model, context=context
            )
        return {p: with_header(p, t, context) if t else t for p, t in files.items()}

    @staticmethod
    def _plugin() -> Path | None:
        # betterproto2's plugin formats its output with the ruff found on PATH.
        return find_tool(
            PLUGIN, "MODELWIRE_BETTERPROTO2_PLUGIN", [Path(sys.executable).parent]
        )


def _defines_duration(files: dict[str, str], package: str) -> bool:
    """Whether betterproto2 generated ``Duration``: only APIs that use one get it."""
    well_known = files.get(f"{package}/proto/google/protobuf/__init__.py", "")
    return "class Duration(" in well_known


def _with_ruff_on_path(plugin: Path, folder: Path) -> Path:
    """A wrapper of ``plugin`` that finds the ruff installed beside this Python.

    The plugin runs ``ruff`` by name; a venv's bin folder need not be on PATH.
    """
    wrapper = folder / PLUGIN
    bin_dir = shlex.quote(str(Path(sys.executable).parent))
    wrapper.write_text(
        f'#!/bin/sh\nPATH={bin_dir}:"$PATH" exec {shlex.quote(str(plugin))} "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper
