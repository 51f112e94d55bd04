"""Server reflection, v1 and v1alpha, so that tools such as grpcurl can list,
describe and call every service without the ``.proto`` files.

grpcio-reflection only ships v1alpha. v1 is the same protocol under a new
package (same messages, same field numbers), so both names are served by
one servicer here, with the v1 file descriptor derived from the v1alpha one.
Descriptors are looked up in the runtime's private pool first (the
library's files), then in protobuf's default pool (health, reflection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2 as pb

from modelwire.runtime.server import RuntimeExtension

if TYPE_CHECKING:
    from modelwire.runtime.server import Runtime

V1ALPHA = "grpc.reflection.v1alpha.ServerReflection"
V1 = "grpc.reflection.v1.ServerReflection"
METHOD = "ServerReflectionInfo"
_NOT_FOUND = grpc.StatusCode.NOT_FOUND.value[0]


class ReflectionExtension(RuntimeExtension):
    def install(self, runtime: Runtime) -> None:
        pools = [runtime.built.pool, _v1_pool(), descriptor_pool.Default()]
        servicer = ReflectionServicer(
            _PoolChain(pools),
            lambda: sorted({*runtime.service_names, *_extra_services(runtime)}),
        )
        handler = grpc.stream_stream_rpc_method_handler(
            servicer.info,
            request_deserializer=pb.ServerReflectionRequest.FromString,
            response_serializer=pb.ServerReflectionResponse.SerializeToString,
        )
        for name in (V1, V1ALPHA):
            runtime.server.add_registered_method_handlers(name, {METHOD: handler})


def _extra_services(runtime: Runtime) -> list[str]:
    """Services served outside ``add_service`` (health, reflection itself)."""
    from modelwire.runtime.ops.health import HEALTH_SERVICE, HealthExtension

    extra = [V1, V1ALPHA]
    if any(isinstance(e, HealthExtension) for e in runtime.extensions):
        extra.append(HEALTH_SERVICE)
    return extra


class ReflectionServicer:
    """Answers each reflection request from the pools, in request order."""

    def __init__(self, pools: _PoolChain, services: Callable[[], list[str]]) -> None:
        self._pools = pools
        self._services = services

    def info(
        self, requests: Iterator[Any], _context: grpc.ServicerContext
    ) -> Iterator[Any]:
        for request in requests:
            yield self._answer(request)

    def _answer(self, request: Any) -> Any:
        kind = request.WhichOneof("message_request")
        try:
            if kind == "list_services":
                names = [pb.ServiceResponse(name=n) for n in self._services()]
                listed = pb.ListServiceResponse(service=names)
                return pb.ServerReflectionResponse(
                    original_request=request, list_services_response=listed
                )
            if kind == "file_by_filename":
                found = self._pools.find("FindFileByName", request.file_by_filename)
                return _files(request, found)
            if kind == "file_containing_symbol":
                symbol = request.file_containing_symbol
                return _files(request, self._pools.file_of_symbol(symbol))
            if kind == "file_containing_extension":
                ext = request.file_containing_extension
                return _files(request, self._pools.file_of_extension(ext))
            if kind == "all_extension_numbers_of_type":
                return self._extension_numbers(request)
        except KeyError:
            pass
        return _error(request, f"not found: {kind} {_argument(request, kind)!r}")

    def _extension_numbers(self, request: Any) -> Any:
        name = request.all_extension_numbers_of_type
        message, pool = self._pools.message(name)
        numbers = sorted(e.number for e in pool.FindAllExtensions(message))
        answer = pb.ExtensionNumberResponse(
            base_type_name=message.full_name, extension_number=numbers
        )
        return pb.ServerReflectionResponse(
            original_request=request, all_extension_numbers_response=answer
        )


class _PoolChain:
    """Looks a name up in each pool in turn; KeyError when none has it."""

    def __init__(self, pools: list[Any]) -> None:
        self._pools = pools

    def find(self, method: str, name: str) -> Any:
        for pool in self._pools:
            try:
                return getattr(pool, method)(name)
            except KeyError:
                continue
        raise KeyError(name)

    def file_of_symbol(self, symbol: str) -> Any:
        return self.find("FindFileContainingSymbol", symbol)

    def message(self, name: str) -> tuple[Any, Any]:
        for pool in self._pools:
            try:
                return pool.FindMessageTypeByName(name), pool
            except KeyError:
                continue
        raise KeyError(name)

    def file_of_extension(self, request: Any) -> Any:
        message, pool = self.message(request.containing_type)
        extension = pool.FindExtensionByNumber(message, request.extension_number)
        return pool.FindFileContainingSymbol(extension.full_name)


def _files(request: Any, file: Any) -> Any:
    """The file and everything it imports, each file once."""
    seen: dict[str, Any] = {}
    pending = [file]
    while pending:
        current = pending.pop()
        if current.name in seen:
            continue
        seen[current.name] = current
        pending.extend(current.dependencies)
    protos = []
    for descriptor in seen.values():
        proto = descriptor_pb2.FileDescriptorProto()
        descriptor.CopyToProto(proto)
        protos.append(proto.SerializeToString())
    answer = pb.FileDescriptorResponse(file_descriptor_proto=protos)
    return pb.ServerReflectionResponse(
        original_request=request, file_descriptor_response=answer
    )


def _error(request: Any, message: str) -> Any:
    error = pb.ErrorResponse(error_code=_NOT_FOUND, error_message=message)
    return pb.ServerReflectionResponse(original_request=request, error_response=error)


def _argument(request: Any, kind: str | None) -> Any:
    return getattr(request, kind) if kind else None


_V1_POOL: Any = None
_V1ALPHA_PACKAGE = "grpc.reflection.v1alpha"
_V1_PACKAGE = "grpc.reflection.v1"


def _v1_pool() -> Any:
    """A pool holding ``grpc/reflection/v1/reflection.proto``, made from v1alpha."""
    global _V1_POOL
    if _V1_POOL is None:
        proto = descriptor_pb2.FileDescriptorProto()
        pb.DESCRIPTOR.CopyToProto(proto)
        proto.name = "grpc/reflection/v1/reflection.proto"
        proto.package = _V1_PACKAGE
        proto.options.Clear()
        for message in proto.message_type:
            for message_field in message.field:
                if message_field.HasField("type_name"):
                    message_field.type_name = _renamed(message_field.type_name)
        for service in proto.service:
            for method in service.method:
                method.input_type = _renamed(method.input_type)
                method.output_type = _renamed(method.output_type)
        pool = descriptor_pool.DescriptorPool()
        pool.Add(proto)
        _V1_POOL = pool
    return _V1_POOL


def _renamed(type_name: str) -> str:
    prefix = f".{_V1ALPHA_PACKAGE}."
    if type_name.startswith(prefix):
        return f".{_V1_PACKAGE}." + type_name[len(prefix) :]
    return type_name
