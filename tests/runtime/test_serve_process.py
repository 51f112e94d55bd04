"""`modelwire serve` as a process: start-up, bad model folders, SIGTERM draining."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from runtime.support import on, write_models

TESTS_DIR = Path(__file__).resolve().parents[1]
MODELWIRE = Path(sys.executable).parent / "modelwire"


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    models = write_models(tmp_path / "models", {"slow": "rtlib.slow_echo"})
    (models / "half-copied").mkdir()  # no config.yml yet
    (models / "half-copied" / "weights.bin").write_bytes(b"\0" * 16)
    write_models(models, {"unknown-module": "rtlib.nope"})
    (models / "broken-yaml").mkdir()
    (models / "broken-yaml" / "config.yml").write_text("module_id: [unclosed\n")
    return models


@pytest.fixture
def server(models_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = [str(MODELWIRE), "serve", "rtlib", "--models", str(models_dir)]
    command += ["--port", "0", "--http-port", "0", "--app-dir", str(TESTS_DIR)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env=env, encoding="utf-8"
    )
    log: list[str] = []
    address = _wait_for_address(process, log)
    yield process, address
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def _wait_for_address(process: subprocess.Popen[str], log: list[str]) -> str:
    assert process.stderr is not None
    for line in process.stderr:
        log.append(line)
        found = re.search(r"serving \S+ on (127\.0\.0\.1:\d+)", line)
        if found:
            threading.Thread(target=_drain, args=(process, log), daemon=True).start()
            process.log = log  # type: ignore[attr-defined]
            return found.group(1)
    raise AssertionError("server exited before serving:\n" + "".join(log))


def _drain(process: subprocess.Popen[str], log: list[str]) -> None:
    assert process.stderr is not None
    log.extend(process.stderr)


def test_bad_model_folders_are_skipped_with_a_reason(server):
    """Folders without a usable config are logged and skipped; the good one loads."""
    process, address = server
    with grpc.insecure_channel(address) as channel:
        raw = channel.unary_unary("/wiretest.v1.WiretestService/Echo")
        assert raw(b"\x0a\x02hi", metadata=on("slow"), timeout=10) == b"\x0a\x02hi"
        with pytest.raises(grpc.RpcError) as caught:
            raw(b"", metadata=on("half-copied"), timeout=10)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    log = "".join(process.log)
    assert "unknown-module not loaded" in log and "rtlib.nope" in log
    assert "broken-yaml not loaded" in log


def test_sigterm_drains_in_flight_calls(server):
    """SIGTERM lets a running call finish, then the process exits with status 0."""
    process, address = server
    answers: list[bytes] = []
    with grpc.insecure_channel(address) as channel:
        raw = channel.unary_unary("/wiretest.v1.WiretestService/Echo")
        # text "late", delay_ms 1500 (field 2)
        request = b"\x0a\x04late\x10\xdc\x0b"
        call = threading.Thread(
            target=lambda: answers.append(raw(request, metadata=on("slow"), timeout=20))
        )
        call.start()
        _wait_until_running(raw)
        process.send_signal(signal.SIGTERM)
        call.join(timeout=20)
    assert answers == [b"\x0a\x04late"]
    assert process.wait(timeout=20) == 0
    assert "draining" in "".join(process.log)


def _wait_until_running(raw) -> None:
    # A short call proves the server is accepting calls; the pause gives the long
    # call, started just before, time to reach the module (it runs for 1.5 s).
    raw(b"\x0a\x01x\x10\x32", metadata=on("slow"), timeout=10)
    time.sleep(0.3)
