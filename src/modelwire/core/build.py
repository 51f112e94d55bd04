"""From the registry to the intermediate form, numbered through the field locks."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelwire.core.convert import EnumCodec, enum_prefix
from modelwire.core.dataobject import MessageCodec, MessageSpec
from modelwire.core.errors import SchemaError
from modelwire.core.fields import OMIT, FieldSpec, spec_from_annotation
from modelwire.core.lifecycle import LifecycleInfo, TrainMethodInfo
from modelwire.core.lock import FieldLock, Slot
from modelwire.core.modules import ModuleSpec
from modelwire.core.registry import LibraryInfo, Registry
from modelwire.core.schema import (
    ProtoEnum,
    ProtoEnumValue,
    ProtoField,
    ProtoFile,
    ProtoMessage,
    ProtoMethod,
    ProtoService,
    Schema,
)
from modelwire.core.tasks import TaskSpec
from modelwire.core.training import DEPLOY_FIELD, MODEL_NAME_FIELD, TrainingSpec
from modelwire.core.types import ValueKind, ValueType, pascal_case

TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"
WELL_KNOWN_FILES = {
    TIMESTAMP: "google/protobuf/timestamp.proto",
    DURATION: "google/protobuf/duration.proto",
}


@dataclass(frozen=True)
class MethodInfo:
    """Everything the runtime needs to serve one RPC, resolved at build time."""

    name: str
    path: str  # /package.Service/Method
    task: TaskSpec
    request_type: str
    response_type: str
    request_codec: MessageCodec
    #: py_names of every request field that is not a task input
    param_names: frozenset[str]


@dataclass(frozen=True)
class ServiceInfo:
    library: LibraryInfo
    full_name: str
    methods: tuple[MethodInfo, ...]
    modules: tuple[ModuleSpec, ...]
    #: the training, model management and info services, when served
    lifecycle: LifecycleInfo | None = None


@dataclass
class Built:
    schema: Schema
    pool: Any
    message_classes: dict[str, Any]
    services: dict[str, ServiceInfo] = field(default_factory=dict)
    #: library py package -> the lock as updated by this build
    locks: dict[str, FieldLock] = field(default_factory=dict)

    def services_of(self, py_package: str) -> list[ServiceInfo]:
        return [s for s in self.services.values() if s.library.py_package == py_package]

    def files_for(self, py_package: str) -> list[ProtoFile]:
        """The files a library emits: its own packages and what they import.

        Its own packages include those its classes chose with
        ``@dataobject(package=...)``, referenced or not.
        """
        own = self._library_package(py_package)
        wanted = [
            f
            for f in self.schema.files
            if f.package == own or _declared_in(f, py_package)
        ]
        return _with_dependencies(wanted, self.schema.files)

    def _library_package(self, py_package: str) -> str:
        for service in self.services.values():
            if service.library.py_package == py_package:
                return service.library.proto_package
        from modelwire.core.registry import REGISTRY

        return REGISTRY.package_for(py_package)


def build_registry(
    registry: Registry, locks: dict[str, FieldLock], allow: frozenset[str]
) -> Built:
    from modelwire.core.descriptors import make_pool

    builder = _Builder(registry, locks, allow)
    schema, services = builder.run()
    pool, classes = make_pool(schema)
    for py_enum, codec in builder.enum_codecs.items():
        type.__setattr__(py_enum, "__mw_codec__", codec)
    return Built(schema, pool, classes, services, builder.locks)


class _Builder:
    def __init__(
        self, registry: Registry, locks: dict[str, FieldLock], allow: frozenset[str]
    ) -> None:
        self.registry = registry
        self.locks = dict(locks)
        self.allow = allow
        self.enums: dict[str, type[enum.Enum]] = {}
        self.enum_codecs: dict[type[enum.Enum], EnumCodec] = {}
        self.types: dict[str, tuple[str, Any]] = {}  # full name -> (package, IR)
        self.sources: dict[str, set[str]] = {}  # package -> python modules
        self.file_of: dict[str, str] = {}  # full type name -> file path
        self.lifecycle_types: set[str] = set()  # full names in *_management.proto
        self.lifecycle_services: dict[str, tuple[ProtoService, ...]] = {}
        self.lifecycle_library: dict[str, str] = {}  # proto package -> py package

    # ------------------------------------------------------------ top level

    def run(self) -> tuple[Schema, dict[str, ServiceInfo]]:
        state = self.registry.state
        specs = [spec for _, spec in state.dataobjects.values()]
        trainings = [m.training for m in state.modules.values() if m.training]
        self._collect_enums(
            specs, state.tasks.values(), state.modules.values(), trainings
        )
        # The class's module, not its dotted source, names the file's origin.
        for cls, spec in sorted(state.dataobjects.values(), key=_full_name):
            self._add_type(spec.package, cls.__module__, self._message(spec, spec.name))
        services = self._services(list(state.modules.values()))
        return Schema(self._files(services)), {s.full_name: s for s in services}

    # ----------------------------------------------------------------- locks

    def lock_for(self, py_module: str) -> FieldLock:
        library = self.registry.library_of(py_module).py_package
        if library not in self.locks:
            path = self.registry.lock_path(py_module)
            self.locks[library] = FieldLock.load(path) if path else FieldLock()
        return self.locks[library]

    # ----------------------------------------------------------------- enums

    def _collect_enums(self, *groups: Iterable[Any]) -> None:
        field_lists: list[Iterable[FieldSpec]] = []
        for group in groups:
            for item in group:
                fields = getattr(item, "fields", None) or getattr(item, "inputs", None)
                field_lists.append(fields or ())
                field_lists.append(getattr(item, "params", ()))
        for fields in field_lists:
            for spec in fields:
                for vt in _value_types(spec):
                    if vt.kind is ValueKind.ENUM:
                        self._add_enum(vt.py_type)

    def _add_enum(self, py_enum: type[enum.Enum]) -> None:
        package = self.registry.package_for(py_enum.__module__)
        full_name = f"{package}.{py_enum.__name__}"
        known = self.enums.get(full_name)
        if known is py_enum:
            return
        if known is not None and _enum_key(known) != _enum_key(py_enum):
            raise SchemaError(
                f"enum {full_name} is defined twice with different members: by "
                f"{_source(known)} and by {_source(py_enum)}; rename one"
            )
        # A re-import makes an identical class: it shares the numbers and the IR.
        ir, codec = self._enum(py_enum, package, full_name)
        self.enum_codecs[py_enum] = codec
        if known is None:
            self.enums[full_name] = py_enum
            self._add_type(package, py_enum.__module__, ir)

    def _enum(
        self, py_enum: type[enum.Enum], package: str, full_name: str
    ) -> tuple[ProtoEnum, EnumCodec]:
        prefix = enum_prefix(py_enum)
        members = list(py_enum)
        names = {m: _enum_value_name(prefix, m.name) for m in members}
        zero = f"{prefix}UNSPECIFIED"
        explicit = all(isinstance(m.value, int) for m in members)
        numbers: dict[enum.Enum, int] = {}
        for member in members:
            if names[member] == zero:
                numbers[member] = 0
            elif explicit and member.value == 0:
                raise SchemaError(
                    f"enum {_source(py_enum)} member {member.name} has value 0, which "
                    f"protobuf keeps for {zero}; number it from 1 or name it UNSPECIFIED"
                )
        slots = [
            Slot(names[m], explicit=m.value if explicit else None)
            for m in members
            if m not in numbers
        ]
        assigned = self.lock_for(py_enum.__module__).assign(
            full_name, slots, allow_breaking=self.allow
        )
        numbers.update(
            {m: assigned.numbers[names[m]] for m in members if m not in numbers}
        )
        values = [ProtoEnumValue(zero, 0)] + [
            ProtoEnumValue(names[m], numbers[m]) for m in members if numbers[m] != 0
        ]
        ir = ProtoEnum(
            name=py_enum.__name__,
            full_name=full_name,
            values=tuple(sorted(values, key=lambda v: v.number)),
            reserved=_reserved(assigned.reserved),
            doc=_doc(py_enum),
        )
        return ir, EnumCodec(py_enum, numbers, names)

    # -------------------------------------------------------------- messages

    def _add_type(self, package: str, py_module: str, ir: Any) -> None:
        self.types[ir.full_name] = (package, ir)
        self.sources.setdefault(package, set()).add(py_module)

    def _message(
        self, spec: MessageSpec, name: str, lock_module: str = ""
    ) -> ProtoMessage:
        full_name = f"{spec.package}.{name}"
        unnumbered = [f for fs in spec.fields for f in self._proto_fields(fs)]
        slots = [Slot(f.name, f.signature, _explicit(spec, f)) for f in unnumbered]
        lock = self.lock_for(lock_module or spec.source.rsplit(".", 1)[0])
        assigned = lock.assign(full_name, slots, allow_breaking=self.allow)
        fields = tuple(
            dataclasses.replace(f, number=assigned.numbers[f.name]) for f in unnumbered
        )
        return ProtoMessage(
            name, full_name, fields, _reserved(assigned.reserved), spec.doc
        )

    def _proto_fields(self, spec: FieldSpec) -> list[ProtoField]:
        shape = spec.shape
        if shape.cardinality == "oneof":
            return [
                ProtoField(
                    b.name,
                    0,
                    *self._type_of(b.value),
                    oneof=spec.proto_name,
                    json_name=json_name(b.name),
                    doc=spec.doc,
                )
                for b in shape.branches
            ]
        assert shape.value is not None
        type_name, is_message, is_enum = self._type_of(shape.value)
        return [
            ProtoField(
                spec.proto_name,
                0,
                type_name,
                is_message=is_message,
                is_enum=is_enum,
                repeated=shape.cardinality == "repeated",
                optional=spec.presence and not is_message,
                map_key=shape.key.scalar if shape.key else "",
                json_name=json_name(spec.proto_name),
                doc=spec.doc,
            )
        ]

    def _type_of(self, vt: ValueType) -> tuple[str, bool, bool]:
        if vt.kind is ValueKind.SCALAR:
            return vt.scalar, False, False
        if vt.kind is ValueKind.TIMESTAMP:
            return TIMESTAMP, True, False
        if vt.kind is ValueKind.DURATION:
            return DURATION, True, False
        if vt.kind is ValueKind.ENUM:
            package = self.registry.package_for(vt.py_type.__module__)
            return f"{package}.{vt.py_type.__name__}", False, True
        return vt.py_type.__mw_spec__.full_name, True, False

    # -------------------------------------------------------------- services

    def _services(self, modules: list[ModuleSpec]) -> list[ServiceInfo]:
        by_library: dict[str, list[ModuleSpec]] = {}
        for spec in modules:
            library = self.registry.library_of(spec.py_module)
            by_library.setdefault(library.py_package, []).append(spec)
        return [
            self._service(
                self.registry.library_of(name), sorted(specs, key=lambda m: m.id)
            )
            for name, specs in sorted(by_library.items())
        ]

    def _service(self, library: LibraryInfo, modules: list[ModuleSpec]) -> ServiceInfo:
        package = library.proto_package
        full_name = f"{package}.{service_name(package)}"
        tasks: dict[str, TaskSpec] = {}
        for spec in modules:
            other = tasks.setdefault(spec.task.name, spec.task)
            if other is not spec.task:
                raise SchemaError(
                    f"library {library.py_package} serves two tasks named "
                    f"{spec.task.name} ({other.source} and {spec.task.source}); "
                    "rename one"
                )
        methods = [
            self._method(
                library, full_name, task, [m for m in modules if m.task is task]
            )
            for _, task in sorted(tasks.items())
        ]
        lifecycle = None
        if _wants_lifecycle(library, modules):
            lifecycle = self._lifecycle(library, modules, {m.name for m in methods})
        return ServiceInfo(
            library, full_name, tuple(methods), tuple(modules), lifecycle
        )

    def _method(
        self,
        library: LibraryInfo,
        service: str,
        task: TaskSpec,
        modules: list[ModuleSpec],
    ) -> MethodInfo:
        package = library.proto_package
        params = _merged_params(task, modules)
        request = MessageSpec(
            name=task.request_name,
            package=package,
            fields=tuple(
                dataclasses.replace(
                    f, default=OMIT, default_factory=dataclasses.MISSING
                )
                if f.has_default
                else f
                for f in (*task.inputs, *params)
            ),
            source=library.py_package + ".__init__",
            doc=f"Inputs of {task.name}.",
        )
        lock_module = library.py_package
        self._add_type(
            package, lock_module, self._message(request, request.name, lock_module)
        )
        self._add_response(package, task, library)
        return MethodInfo(
            name=task.name,
            path=f"/{service}/{task.name}",
            task=task,
            request_type=request.full_name,
            response_type=f"{package}.{task.response_name}",
            request_codec=MessageCodec(request, _kwargs),
            param_names=frozenset(p.py_name for p in params),
        )

    def _add_response(self, package: str, task: TaskSpec, library: LibraryInfo) -> None:
        # The response carries the output's own fields and numbers, so the output
        # object's bytes are a valid response and clients read fields directly.
        output = self.types[task.output.__mw_spec__.full_name][1]
        full_name = f"{package}.{task.response_name}"
        doc = f"Result of {task.name}." + (f"\n\n{output.doc}" if output.doc else "")
        response = ProtoMessage(
            task.response_name, full_name, output.fields, output.reserved, doc
        )
        self._add_type(package, library.py_package, response)

    # ------------------------------------------------------------- lifecycle

    def _lifecycle(
        self, library: LibraryInfo, modules: list[ModuleSpec], task_rpcs: set[str]
    ) -> LifecycleInfo:
        from modelwire.core import lifecycle

        package = library.proto_package
        self.lifecycle_library[package] = library.py_package
        for fixed_enum in lifecycle.ENUMS:
            self._add_lifecycle_type(package, self._fixed_enum(package, fixed_enum))
        shared: dict[str, ProtoMessage] = {}
        for fixed in lifecycle.SHARED:
            fields = tuple(self._fixed_field(f, package) for f in fixed.fields)
            message = self._fixed_message(package, fixed.name, fields, fixed.doc)
            shared[fixed.name] = message
            self._add_lifecycle_type(package, message)
        for name, (_, _, request, response) in lifecycle.METHODS.items():
            fields = tuple(self._fixed_field(f, package) for f in request)
            doc = f"Inputs of {name}."
            self._add_lifecycle_type(
                package, self._fixed_message(package, f"{name}Request", fields, doc)
            )
            self._add_lifecycle_type(
                package, self._lifecycle_response(package, name, response, shared)
            )
        trainers = [m for m in modules if m.training is not None]
        train_methods = tuple(
            self._train_method(library, m, shared["TrainingStatus"]) for m in trainers
        )
        rpc_names = [m.name for m in train_methods] + list(lifecycle.METHODS)
        clashes = sorted(task_rpcs & set(rpc_names))
        if clashes:
            raise SchemaError(
                f"library {library.py_package}: task(s) {', '.join(clashes)} share "
                "their name with a lifecycle RPC; rename the task"
            )
        train_rpcs = [
            ProtoMethod(m.name, m.request_type, m.response_type, doc=_train_doc(m))
            for m in train_methods
        ]
        self.lifecycle_services[package] = lifecycle.services(package, train_rpcs)
        return LifecycleInfo(package, train_methods)

    def _add_lifecycle_type(self, package: str, ir: Any) -> None:
        if ir.full_name in self.types:
            raise SchemaError(
                f"{ir.full_name} is both a type of the library and of the lifecycle "
                "API (training, model management, info); rename the library's type"
            )
        self.lifecycle_types.add(ir.full_name)
        self._add_type(package, self._lifecycle_source(package), ir)

    def _lifecycle_source(self, package: str) -> str:
        return self.lifecycle_library[package]

    def _fixed_field(self, proto_field: ProtoField, package: str) -> ProtoField:
        from modelwire.core.lifecycle import qualify

        qualified = qualify(proto_field, package)
        return dataclasses.replace(qualified, json_name=json_name(qualified.name))

    def _fixed_message(
        self, package: str, name: str, fields: tuple[ProtoField, ...], doc: str
    ) -> ProtoMessage:
        full_name = f"{package}.{name}"
        lock = self.lock_for(self._lifecycle_source(package))
        slots = [Slot(f.name, f.signature) for f in fields]
        assigned = lock.assign(full_name, slots, allow_breaking=self.allow)
        numbered = tuple(
            dataclasses.replace(f, number=assigned.numbers[f.name]) for f in fields
        )
        return ProtoMessage(
            name, full_name, numbered, _reserved(assigned.reserved), doc
        )

    def _fixed_enum(self, package: str, fixed: Any) -> ProtoEnum:
        full_name = f"{package}.{fixed.name}"
        names = [fixed.value_name(v) for v in fixed.values]
        slots = [Slot(n, explicit=i) for i, n in enumerate(names, start=1)]
        lock = self.lock_for(self._lifecycle_source(package))
        assigned = lock.assign(full_name, slots, allow_breaking=self.allow)
        zero = fixed.value_name("UNSPECIFIED")
        values = [ProtoEnumValue(zero, 0)] + [
            ProtoEnumValue(n, assigned.numbers[n]) for n in names
        ]
        return ProtoEnum(
            fixed.name,
            full_name,
            tuple(values),
            _reserved(assigned.reserved),
            fixed.doc,
        )

    def _lifecycle_response(
        self, package: str, rpc: str, response: Any, shared: dict[str, ProtoMessage]
    ) -> ProtoMessage:
        name = f"{rpc}Response"
        if isinstance(response, str):
            # Like a task response: the shared message's own fields and numbers,
            # so its bytes are a valid response.
            base = shared[response]
            return ProtoMessage(
                name, f"{package}.{name}", base.fields, base.reserved, base.doc
            )
        fields = tuple(self._fixed_field(f, package) for f in response)
        return self._fixed_message(package, name, fields, f"Result of {rpc}.")

    def _train_method(
        self, library: LibraryInfo, module: ModuleSpec, status: ProtoMessage
    ) -> TrainMethodInfo:
        training = module.training
        assert training is not None
        package = library.proto_package
        request = MessageSpec(
            name=training.request_name,
            package=package,
            fields=tuple(
                dataclasses.replace(
                    f, default=OMIT, default_factory=dataclasses.MISSING
                )
                if f.has_default
                else f
                for f in _train_request_fields(module, training)
            ),
            source=library.py_package + ".__init__",
            doc=f"Trains a {module.id} model ({module.name}).",
        )
        message = self._message(request, request.name, library.py_package)
        self._add_lifecycle_type(package, message)
        response = ProtoMessage(
            training.response_name,
            f"{package}.{training.response_name}",
            status.fields,
            status.reserved,
            "The training just submitted (QUEUED).",
        )
        self._add_lifecycle_type(package, response)
        return TrainMethodInfo(
            name=training.rpc_name,
            module=module,
            request_type=request.full_name,
            response_type=response.full_name,
            request_codec=MessageCodec(request, _kwargs),
        )

    # ----------------------------------------------------------------- files

    def _files(self, services: list[ServiceInfo]) -> list[ProtoFile]:
        service_by_package = {s.library.proto_package: s for s in services}
        rpc_types = {n for s in services for n in _service_type_names(s)}
        lifecycle = self.lifecycle_types
        self.file_of = {
            name: _file_path(package, _file_kind(name, rpc_types, lifecycle))
            for name, (package, _) in self.types.items()
        }
        files: list[ProtoFile] = []
        for package in sorted({package for package, _ in self.types.values()}):
            members = [ir for p, ir in self.types.values() if p == package]
            types = [
                ir
                for ir in members
                if ir.full_name not in rpc_types and ir.full_name not in lifecycle
            ]
            if types:
                files.append(self._file(package, types, None))
            service = service_by_package.get(package)
            if service is not None:
                own = [ir for ir in members if ir.full_name in rpc_types]
                files.append(self._file(package, own, service))
            if package in self.lifecycle_services:
                own = [ir for ir in members if ir.full_name in lifecycle]
                files.append(self._management_file(package, own))
        return _dependency_order(files)

    def _management_file(self, package: str, types: list[Any]) -> ProtoFile:
        from modelwire.core.lifecycle import FILE_KIND

        path = _file_path(package, FILE_KIND)
        messages = sorted((t for t in types if isinstance(t, ProtoMessage)), key=_name)
        enums = sorted((t for t in types if isinstance(t, ProtoEnum)), key=_name)
        services = self.lifecycle_services[package]
        return ProtoFile(
            path=path,
            package=package,
            source=self._lifecycle_source(package),
            imports=tuple(sorted(self._imports(path, messages, services))),
            enums=tuple(enums),
            messages=tuple(messages),
            services=services,
        )

    def _file(
        self, package: str, types: list[Any], service: ServiceInfo | None
    ) -> ProtoFile:
        path = _file_path(package, "service" if service else "types")
        messages = sorted((t for t in types if isinstance(t, ProtoMessage)), key=_name)
        enums = sorted((t for t in types if isinstance(t, ProtoEnum)), key=_name)
        services = (self._service_ir(service),) if service else ()
        source = (
            service.library.py_package
            if service
            else ", ".join(sorted(self.sources.get(package, ())))
        )
        return ProtoFile(
            path=path,
            package=package,
            source=source,
            imports=tuple(sorted(self._imports(path, messages, services))),
            enums=tuple(enums),
            messages=tuple(messages),
            services=services,
        )

    def _service_ir(self, service: ServiceInfo) -> ProtoService:
        methods = tuple(
            ProtoMethod(
                m.name,
                m.request_type,
                m.response_type,
                client_streaming=m.task.client_streaming,
                server_streaming=m.task.output_stream,
                doc=m.task.doc,
            )
            for m in service.methods
        )
        name = service.full_name.rsplit(".", 1)[-1]
        doc = f"Tasks served by the {service.library.py_package} library."
        return ProtoService(name, service.full_name, methods, doc)

    def _imports(
        self,
        path: str,
        messages: list[ProtoMessage],
        services: tuple[ProtoService, ...],
    ) -> set[str]:
        refs = {f.type for m in messages for f in m.fields if f.is_message or f.is_enum}
        refs |= {
            t
            for s in services
            for m in s.methods
            for t in (m.input_type, m.output_type)
        }
        found = {WELL_KNOWN_FILES.get(ref) or self.file_of[ref] for ref in refs}
        found.discard(path)
        return found


def _file_path(package: str, kind: str) -> str:
    stem = "_".join(package.split(".")[:-1])
    return f"{package.replace('.', '/')}/{stem}_{kind}.proto"


def _file_kind(name: str, rpc_types: set[str], lifecycle: set[str]) -> str:
    from modelwire.core.lifecycle import FILE_KIND

    if name in lifecycle:
        return FILE_KIND
    return "service" if name in rpc_types else "types"


def _wants_lifecycle(library: LibraryInfo, modules: list[ModuleSpec]) -> bool:
    if library.lifecycle is not None:
        return library.lifecycle
    return any(m.training is not None for m in modules)


def _train_request_fields(
    module: ModuleSpec, training: TrainingSpec
) -> list[FieldSpec]:
    owner = training.request_name
    data = training.data_type
    return [
        dataclasses.replace(
            spec_from_annotation(owner, MODEL_NAME_FIELD, str),
            doc="The model id to save (and serve) the trained model as.",
        ),
        dataclasses.replace(
            spec_from_annotation(owner, training.data_param, list[data]),  # type: ignore[valid-type]
            doc=f"The training examples, inline; or name a file in {training.data_file_field}.",
        ),
        dataclasses.replace(
            spec_from_annotation(owner, training.data_file_field, str, default=""),
            doc=(
                "A JSON Lines (.jsonl) or CSV (.csv) file of examples, relative to "
                "the server's data directory."
            ),
        ),
        dataclasses.replace(
            spec_from_annotation(owner, DEPLOY_FIELD, bool, default=True),
            doc="Serve the model once trained. Default: true.",
        ),
        *training.params,
    ]


def _train_doc(method: TrainMethodInfo) -> str:
    spec = method.module
    return (
        f"Trains a model of module {spec.id} in a worker process. Returns at once; "
        "poll GetTrainingStatus with the training id."
    )


def service_name(package: str) -> str:
    stem = "_".join(package.split(".")[:-1])
    return pascal_case(stem) + "Service"


def json_name(proto_name: str) -> str:
    """protoc's default JSON name: underscores dropped, the next letter upper-cased."""
    out: list[str] = []
    upper = False
    for ch in proto_name:
        if ch == "_":
            upper = True
        elif upper:
            out.append(ch.upper())
            upper = False
        else:
            out.append(ch)
    return "".join(out)


def _enum_value_name(prefix: str, member: str) -> str:
    name = member.rstrip("_").upper() if member.endswith("_") else member.upper()
    return name if name.startswith(prefix) else prefix + name


def _explicit(spec: MessageSpec, proto_field: ProtoField) -> int | None:
    for f in spec.fields:
        if f.proto_name == proto_field.name and not proto_field.oneof:
            return f.number
    return None


def _merged_params(task: TaskSpec, modules: list[ModuleSpec]) -> list[FieldSpec]:
    inputs = {i.py_name for i in task.inputs}
    merged: dict[str, tuple[FieldSpec, ModuleSpec]] = {}
    for module in modules:
        for param in module.params:
            if param.py_name in inputs:
                continue
            known = merged.setdefault(param.py_name, (param, module))
            if known[0].shape != param.shape:
                raise SchemaError(
                    f"modules {known[1].source} and {module.source} both serve "
                    f"{task.name} but declare run() parameter {param.py_name!r} as "
                    f"{known[0].shape.label} and {param.shape.label}; use one type"
                )
    return [spec for spec, _ in merged.values()]


def _kwargs(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not OMIT}


def _value_types(spec: FieldSpec) -> list[ValueType]:
    shape = spec.shape
    found = [shape.value, shape.key] + [b.value for b in shape.branches]
    return [vt for vt in found if vt is not None]


def _service_type_names(service: ServiceInfo | None) -> set[str]:
    if service is None:
        return set()
    return {t for m in service.methods for t in (m.request_type, m.response_type)}


def _reserved(reserved: dict[int, str]) -> tuple[tuple[int, str], ...]:
    return tuple(sorted(reserved.items()))


def _doc(obj: Any) -> str:
    import inspect

    own = obj.__dict__.get("__doc__")
    generic = {enum.Enum.__doc__, "An enumeration."}
    return inspect.cleandoc(own) if own and own not in generic else ""


def _enum_key(py_enum: type[enum.Enum]) -> tuple[Any, ...]:
    return (_source(py_enum), tuple((m.name, m.value) for m in py_enum))


def _declared_in(proto_file: ProtoFile, py_package: str) -> bool:
    modules = proto_file.source.split(", ")
    return any(m == py_package or m.startswith(f"{py_package}.") for m in modules)


def _source(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _name(ir: Any) -> str:
    return ir.name


def _full_name(item: tuple[type, MessageSpec]) -> str:
    return item[1].full_name


def _dependency_order(files: list[ProtoFile]) -> list[ProtoFile]:
    by_path = {f.path: f for f in files}
    ordered: list[ProtoFile] = []
    state: dict[str, str] = {}

    def visit(path: str, chain: list[str]) -> None:
        if state.get(path) == "done" or path not in by_path:
            return
        if state.get(path) == "active":
            cycle = " -> ".join([*chain[chain.index(path) :], path])
            raise SchemaError(
                f"proto files import each other in a cycle ({cycle}); move the "
                "data objects that refer to each other into one package"
            )
        state[path] = "active"
        for dep in by_path[path].imports:
            visit(dep, [*chain, path])
        state[path] = "done"
        ordered.append(by_path[path])

    for proto_file in files:
        visit(proto_file.path, [])
    return ordered


def _with_dependencies(
    wanted: list[ProtoFile], every: list[ProtoFile]
) -> list[ProtoFile]:
    by_path = {f.path: f for f in every}
    keep: set[str] = set()
    stack = [f.path for f in wanted]
    while stack:
        path = stack.pop()
        if path in keep or path not in by_path:
            continue
        keep.add(path)
        stack.extend(by_path[path].imports)
    return [f for f in every if f.path in keep]
