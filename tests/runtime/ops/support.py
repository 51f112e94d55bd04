"""Runtimes built from configuration, and the standard tools run against them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest

from modelwire.runtime.config import Config, load_config
from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.launch import build_runtime
from modelwire.runtime.ops.metrics import MetricsExtension
from modelwire.runtime.server import Runtime
from runtime.support import write_models

REPO = Path(__file__).resolve().parents[3]
TOOLS = REPO / ".tools" / "bin"
SERVICE = "opstest.v1.OpstestService"
MODELS = {"echo": "opslib.echo", "grow": "opslib.grow"}


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.is_file():
        pytest.fail(f"{name} is not installed: run bash scripts/setup-ops-tools.sh")
    return path


def run_tool(name: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(tool(name)), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def probe(address: str, *args: str) -> subprocess.CompletedProcess:
    """grpc-health-probe against ``address``."""
    return run_tool(
        "grpc-health-probe",
        f"-addr={address}",
        "-connect-timeout=10s",
        "-rpc-timeout=10s",
        *args,
    )


def ops_config(models_dir: Path | None, **flags: Any) -> Config:
    """The opslib library on free ports, with metrics on; ``flags`` override."""
    base: dict[str, Any] = {
        "library.name": "opslib",
        "models.dir": models_dir,
        "server.port": 0,
        "http.port": 0,
        "metrics.enabled": True,
        "metrics.port": 0,
    }
    base.update(flags)
    return load_config(None, env={}, flags=base).config


def models(tmp_path: Path, wanted: dict[str, str] | None = None) -> Path:
    return write_models(tmp_path / "models", wanted or MODELS)


@contextmanager
def running(config: Config) -> Iterator[Runtime]:
    runtime = build_runtime(config)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop(grace=0)


def gateway_of(runtime: Runtime) -> HttpGateway:
    return next(e for e in runtime.extensions if isinstance(e, HttpGateway))


def metrics_url(runtime: Runtime) -> str:
    return next(e for e in runtime.extensions if isinstance(e, MetricsExtension)).url


def message(runtime: Runtime, name: str, **fields: Any) -> Any:
    return runtime.built.message_classes[f"opstest.v1.{name}"](**fields)


def call(
    channel: grpc.Channel,
    runtime: Runtime,
    method: str,
    model_id: str | None,
    timeout: float | None = 30,
    **fields: Any,
) -> Any:
    """Calls ``method`` and returns the parsed response message."""
    request = message(runtime, f"{method}Request", **fields)
    stub = channel.unary_unary(f"/{SERVICE}/{method}")
    metadata = [("mm-model-id", model_id)] if model_id else None
    data = stub(request.SerializeToString(), metadata=metadata, timeout=timeout)
    response = message(runtime, f"{method}Response")
    response.ParseFromString(data)
    return response
