"""A health check client for container health checks: ``modelwire health``
asks the server's own ``grpc.health.v1`` service, reading the address and
TLS files from the same configuration as ``modelwire serve``."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from modelwire.runtime.config import Config


def check_health(
    config: Config, address: str | None, service: str = "", timeout: float = 5.0
) -> str:
    """The status name the server reports for ``service``, or why none came back."""
    if address is None:
        host = config.server.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        address = f"{host}:{config.server.port}"
    with _channel(config, address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            reply = stub.Check(request, timeout=timeout)
        except grpc.RpcError as exc:
            return f"{exc.code().name}: {exc.details()}"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def _channel(config: Config, address: str) -> grpc.Channel:
    tls = config.tls
    if tls.cert_file is None:
        return grpc.insecure_channel(address)
    # The server's own certificate serves as the trust root, and under mTLS
    # as the client certificate too: it is the one file surely at hand.
    cert = tls.cert_file.read_bytes()
    key = tls.key_file.read_bytes() if tls.key_file else None
    client = (key, cert) if tls.client_ca_file is not None else (None, None)
    credentials = grpc.ssl_channel_credentials(cert, *client)
    return grpc.secure_channel(address, credentials)
