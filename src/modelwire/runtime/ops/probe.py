"""A health check client for container health checks: ``modelwire health``
asks the server's own ``grpc.health.v1`` service, taking the address from the
same configuration as ``modelwire serve`` unless given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from modelwire.runtime.config import Config


@dataclass(frozen=True)
class ClientTls:
    #: trust root for the server's certificate; None: the system's roots
    ca_file: Path | None = None
    #: client certificate and key, for a server that requires mTLS
    cert_file: Path | None = None
    key_file: Path | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("--tls-cert and --tls-key go together")
        return grpc.ssl_channel_credentials(
            _read(self.ca_file), _read(self.key_file), _read(self.cert_file)
        )


def check_health(
    config: Config,
    address: str | None,
    service: str = "",
    timeout: float = 5.0,
    tls: ClientTls | None = None,
) -> str:
    """The status name the server reports for ``service``, or why none came back."""
    if address is None:
        host = config.server.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        address = f"{host}:{config.server.port}"
    if tls is None:
        channel = grpc.insecure_channel(address)
    else:
        channel = grpc.secure_channel(address, tls.credentials())
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            reply = stub.Check(request, timeout=timeout)
        except grpc.RpcError as exc:
            return f"{exc.code().name}: {exc.details()}"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path is not None else None
