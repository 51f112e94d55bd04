"""TLS and mutual TLS on the gRPC port and the HTTP gateway, with throwaway
certificates; a client without a valid certificate is refused under mTLS."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from modelwire.runtime.config import ConfigError
from modelwire.runtime.launch import build_runtime
from modelwire.runtime.ops.tls import TlsError
from modelwire.runtime.server import Runtime
from runtime.ops.certs import Certs, Pair, make_certs
from runtime.ops.support import call, gateway_of, models, ops_config, probe, running

MODELWIRE = Path(sys.executable).parent / "modelwire"


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


def _tls_flags(certs: Certs, mutual: bool) -> dict[str, object]:
    flags: dict[str, object] = {
        "tls.cert_file": certs.server.cert,
        "tls.key_file": certs.server.key,
    }
    if mutual:
        flags["tls.client_ca_file"] = certs.ca
    return flags


@pytest.fixture(scope="module")
def tls_runtime(tmp_path_factory, certs) -> Iterator[Runtime]:
    folder = models(tmp_path_factory.mktemp("tls"))
    with running(ops_config(folder, **_tls_flags(certs, mutual=False))) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def mtls_runtime(tmp_path_factory, certs) -> Iterator[Runtime]:
    folder = models(tmp_path_factory.mktemp("mtls"))
    with running(ops_config(folder, **_tls_flags(certs, mutual=True))) as runtime:
        yield runtime


def _secure(runtime: Runtime, certs: Certs, client: Pair | None) -> grpc.Channel:
    key = client.key.read_bytes() if client else None
    chain = client.cert.read_bytes() if client else None
    credentials = grpc.ssl_channel_credentials(certs.ca.read_bytes(), key, chain)
    return grpc.secure_channel(runtime.address, credentials)


def _http(certs: Certs, client: Pair | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(certs.ca))
    if client is not None:
        context.load_cert_chain(client.cert, client.key)
    return httpx.Client(verify=context, timeout=30)


def _post_echo(runtime: Runtime, client: httpx.Client) -> httpx.Response:
    url = f"{gateway_of(runtime).url}/opstest.v1/models/echo/Echo"
    return client.post(url, json={"text": "over https"})


def test_tls_serves_grpc_and_refuses_plaintext(tls_runtime, certs):
    with _secure(tls_runtime, certs, None) as channel:
        assert call(channel, tls_runtime, "Echo", "echo", text="hi").text == "hi"
    with (
        grpc.insecure_channel(tls_runtime.address) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        call(channel, tls_runtime, "Echo", "echo", timeout=10, text="hi")
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE


def test_tls_gateway_speaks_https(tls_runtime, certs):
    assert gateway_of(tls_runtime).url.startswith("https://")
    with _http(certs, None) as client:
        answer = _post_echo(tls_runtime, client)
    assert answer.status_code == 200
    assert answer.json() == {"text": "over https"}


def test_mtls_accepts_a_client_certificate_from_the_ca(mtls_runtime, certs):
    with _secure(mtls_runtime, certs, certs.client) as channel:
        assert call(channel, mtls_runtime, "Echo", "echo", text="me").text == "me"
    with _http(certs, certs.client) as client:
        assert _post_echo(mtls_runtime, client).status_code == 200


@pytest.mark.parametrize("who", ["no certificate", "stranger"])
def test_mtls_refuses_clients_without_a_valid_certificate(mtls_runtime, certs, who):
    client = None if who == "no certificate" else certs.stranger
    with (
        _secure(mtls_runtime, certs, client) as channel,
        pytest.raises(grpc.RpcError) as refused,
    ):
        call(channel, mtls_runtime, "Echo", "echo", timeout=10, text="x")
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
    with _http(certs, client) as http, pytest.raises(httpx.TransportError):
        _post_echo(mtls_runtime, http)


def test_health_probe_under_mtls(mtls_runtime, certs):
    """grpc-health-probe, as a container health check would run it."""
    tls = [
        "-tls",
        f"-tls-ca-cert={certs.ca}",
        f"-tls-client-cert={certs.client.cert}",
        f"-tls-client-key={certs.client.key}",
    ]
    served = probe(mtls_runtime.address, *tls)
    assert served.returncode == 0, served.stderr
    refused = probe(mtls_runtime.address, "-tls", f"-tls-ca-cert={certs.ca}")
    assert refused.returncode != 0


def test_modelwire_health_command_under_mtls(mtls_runtime, certs):
    command = [
        str(MODELWIRE),
        "health",
        "--address",
        mtls_runtime.address,
        "--tls-ca",
        str(certs.ca),
    ]
    client = ["--tls-cert", str(certs.client.cert), "--tls-key", str(certs.client.key)]
    ok = subprocess.run(
        command + client, capture_output=True, text=True, timeout=60, check=False
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip() == "SERVING"
    refused = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 1
    assert refused.stdout.startswith("UNAVAILABLE")


def test_a_key_that_does_not_match_is_refused_at_start(tmp_path, certs):
    flags = {"tls.cert_file": certs.server.cert, "tls.key_file": certs.client.key}
    with pytest.raises(TlsError, match=r"tls\.cert_file / tls\.key_file"):
        build_runtime(ops_config(models(tmp_path), **flags))


def test_a_certificate_without_a_key_is_refused(tmp_path, certs):
    with pytest.raises(ConfigError, match=r"tls\.key_file"):
        ops_config(models(tmp_path), **{"tls.cert_file": certs.server.cert})
