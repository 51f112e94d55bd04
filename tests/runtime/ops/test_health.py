"""grpc.health.v1, checked with grpc-health-probe: NOT_SERVING while the
models found at start load and while draining, SERVING in between."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
from opslib import RELEASE_FILE

from modelwire.runtime.launch import build_runtime
from runtime.ops.support import (
    SERVICE,
    call,
    models,
    ops_config,
    probe,
    running,
)

MODELWIRE = Path(sys.executable).parent / "modelwire"


def _wait_for_probe(
    address: str, wanted: str, *args: str
) -> subprocess.CompletedProcess:
    """Probes until the output names ``wanted`` (at most 60 s), returning the last run."""
    deadline = time.monotonic() + 60
    while True:
        result = probe(address, *args)
        if wanted in result.stdout + result.stderr or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_serving_overall_and_per_service(tmp_path):
    """Once the models are loaded, the probe reports SERVING for "" and each service."""
    with running(ops_config(models(tmp_path))) as runtime:
        overall = probe(runtime.address)
        assert overall.returncode == 0, overall.stderr
        assert "status: SERVING" in overall.stdout + overall.stderr
        per_service = probe(runtime.address, f"-service={SERVICE}")
        assert per_service.returncode == 0, per_service.stderr
        unknown = probe(runtime.address, "-service=no.such.Service")
        assert unknown.returncode != 0
        assert "code = NotFound" in unknown.stderr


def test_not_serving_until_startup_models_are_loaded(tmp_path):
    """The port opens first; health says NOT_SERVING until the gated model loaded."""
    folder = models(tmp_path, {"gated": "opslib.gated_echo"})
    runtime = build_runtime(ops_config(folder))
    starter = threading.Thread(target=runtime.start)
    starter.start()
    try:
        loading = _wait_for_probe(runtime.address, "NOT_SERVING")
        assert loading.returncode != 0
        assert "NOT_SERVING" in loading.stdout + loading.stderr
        assert probe(runtime.address, f"-service={SERVICE}").returncode != 0

        (folder / "gated" / RELEASE_FILE).write_text("go")
        starter.join(timeout=60)
        ready = probe(runtime.address)
        assert ready.returncode == 0, ready.stdout + ready.stderr
        with grpc.insecure_channel(runtime.address) as channel:
            assert call(channel, runtime, "Echo", "gated", text="hi").text == "hi"
    finally:
        (folder / "gated" / RELEASE_FILE).write_text("go")
        starter.join(timeout=60)
        runtime.stop(grace=0)


def test_not_serving_while_draining_yet_calls_are_answered(tmp_path):
    """During the drain delay health says NOT_SERVING and calls still succeed."""
    config = ops_config(models(tmp_path), **{"server.drain_delay_s": 8.0})
    runtime = build_runtime(config)
    runtime.start()
    stopper = threading.Thread(target=runtime.stop)
    try:
        assert probe(runtime.address).returncode == 0
        stopper.start()
        draining = _wait_for_probe(runtime.address, "NOT_SERVING")
        assert "NOT_SERVING" in draining.stdout + draining.stderr
        assert draining.returncode != 0
        with grpc.insecure_channel(runtime.address) as channel:
            assert call(channel, runtime, "Echo", "echo", text="late").text == "late"
    finally:
        if stopper.ident is None:
            runtime.stop(grace=0)
        stopper.join(timeout=60)


def test_modelwire_health_command(tmp_path):
    """`modelwire health` exits 0 for SERVING: usable as a container health check."""
    with running(ops_config(models(tmp_path))) as runtime:
        ok = subprocess.run(
            [str(MODELWIRE), "health", "--address", runtime.address],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.strip() == "SERVING"
        unknown = subprocess.run(
            [
                str(MODELWIRE),
                "health",
                "--address",
                runtime.address,
                "--service",
                "no.such.Service",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert unknown.returncode == 1
        assert "NOT_FOUND" in unknown.stdout
