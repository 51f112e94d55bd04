"""Logs: one logger per module, JSON lines when asked, and exactly one line
(method, model id, status, duration) for each request that fails."""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest

from modelwire.runtime.gateway import HttpGateway
from modelwire.runtime.server import ServerSettings, create_runtime
from runtime.ops.support import REPO, call, gateway_of, models, ops_config, running
from runtime.support import write_models

MODELWIRE = Path(sys.executable).parent / "modelwire"
FIELDS = ("protocol", "method", "model_id", "status", "duration_ms")


def _failure_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if hasattr(r, "status")]


def test_each_failed_request_logs_once(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    flags = {"limits.max_message_bytes": 1024, "limits.default_deadline_s": 0.3}
    with running(ops_config(models(tmp_path), **flags)) as runtime:
        caplog.clear()
        with grpc.insecure_channel(runtime.address) as channel:
            call(channel, runtime, "Echo", "echo", text="fine")
            for model_id, method, fields in (
                ("ghost", "Echo", {"text": "x"}),
                ("grow", "Grow", {"text": "x" * 100, "times": 20}),
                ("echo", "Echo", {"text": "x", "delay_ms": 2000}),
            ):
                with pytest.raises(grpc.RpcError):
                    call(channel, runtime, method, model_id, timeout=None, **fields)
        url = f"{gateway_of(runtime).url}/opstest.v1/models/ghost/Echo"
        assert httpx.post(url, json={"text": "x"}, timeout=30).status_code == 404
        # The expired call is logged when its model call returns, after the caller
        # already got DEADLINE_EXCEEDED.
        deadline = time.monotonic() + 30
        while len(_failure_records(caplog)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        records = _failure_records(caplog)

    seen = [(r.protocol, r.method, r.model_id, r.status) for r in records]
    assert sorted(seen) == sorted(
        [
            ("gRPC", "Echo", "ghost", "NOT_FOUND"),
            ("gRPC", "Grow", "grow", "RESOURCE_EXHAUSTED"),
            ("gRPC", "Echo", "echo", "DEADLINE_EXCEEDED"),
            ("HTTP", "Echo", "ghost", "NOT_FOUND"),
        ]
    )
    for record in records:
        assert record.duration_ms >= 0
        assert record.name.startswith("modelwire.runtime.")


def test_json_lines_when_asked(tmp_path):
    folder = models(tmp_path)
    command = [
        str(MODELWIRE),
        "serve",
        "opslib",
        "--app-dir",
        str(REPO / "tests"),
        "--models",
        str(folder),
        "--port",
        "0",
        "--no-http",
        "--log-format",
        "json",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env=env, encoding="utf-8"
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        address = None
        for line in process.stderr:
            lines.append(line)
            found = re.search(r"serving \S+ on (127\.0\.0\.1:\d+)", line)
            if found:
                address = found.group(1)
                break
        assert address, "".join(lines)
        with grpc.insecure_channel(address) as channel:
            raw = channel.unary_unary("/opstest.v1.OpstestService/Echo")
            with pytest.raises(grpc.RpcError):
                raw(b"\x0a\x01x", metadata=[("mm-model-id", "ghost")], timeout=30)
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
        lines.extend(rest.splitlines(keepends=True))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    entries = [json.loads(line) for line in lines if line.strip()]
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    failed = [e for e in entries if "status" in e]
    assert len(failed) == 1
    assert {k: failed[0][k] for k in FIELDS[:-1]} == {
        "protocol": "gRPC",
        "method": "Echo",
        "model_id": "ghost",
        "status": "NOT_FOUND",
    }
    assert isinstance(failed[0]["duration_ms"], int | float)


def test_every_module_logs_through_its_own_logger():
    """getLogger(__name__) only, and no logging through the root logger."""
    offenders = []
    for path in sorted((REPO / "src" / "modelwire").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(
                node.func, ast.Attribute
            ):
                continue
            target = node.func.value
            if not (isinstance(target, ast.Name) and target.id == "logging"):
                continue
            name = node.func.attr
            own = name == "getLogger" and [ast.unparse(a) for a in node.args] == [
                "__name__"
            ]
            root_call = name in {
                "debug",
                "info",
                "warning",
                "error",
                "exception",
                "log",
            }
            if (name == "getLogger" and not own and node.args) or root_call:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


def test_a_stream_failing_part_way_over_http_logs_once(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    folder = write_models(tmp_path / "models", {"counter": "rtlib.counter"})
    gateway = HttpGateway(port=0)
    with create_runtime("rtlib", folder, ServerSettings(port=0), extensions=[gateway]):
        caplog.clear()
        url = f"{gateway.url}/wiretest.v1/models/counter/Count"
        answer = httpx.post(url, json={"n": 5, "failAt": 2}, timeout=30)
        assert answer.status_code == 200
        assert "event: error" in answer.text
    seen = [
        (r.protocol, r.method, r.model_id, r.status) for r in _failure_records(caplog)
    ]
    assert seen == [("HTTP", "Count", "counter", "INVALID_ARGUMENT")]
