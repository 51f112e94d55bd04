"""The load generators: ghz for gRPC, wrk for HTTP/JSON. Both report a ``Load``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.procs import HarnessError, pinned, run_command

#: seconds a load run may overrun its own duration before it counts as hung
SLACK = 60.0


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass(frozen=True)
class GrpcCall:
    address: str
    protoset: Path
    #: ``package.Service/Method``
    method: str
    #: one request in proto3 JSON, or a list of them sent in turn
    data: Any
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpCall:
    url: str
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


def ghz(
    ghz_binary: Path,
    call: GrpcCall,
    concurrency: int,
    *,
    seconds: float | None = None,
    total: int | None = None,
    cpus: str | None = None,
) -> Load:
    """Loads ``call`` for ``seconds``, or until ``total`` calls were made."""
    with tempfile.TemporaryDirectory(prefix="ghz-") as folder:
        data = Path(folder) / "data.json"
        data.write_text(json.dumps(call.data))
        argv = [
            ghz_binary,
            "--insecure",
            f"--protoset={call.protoset}",
            f"--call={call.method}",
            f"--data-file={data}",
            f"--metadata={json.dumps(dict(call.metadata))}",
            f"--concurrency={concurrency}",
            "--connections=1",
            "--format=json",
            *_ghz_extent(seconds, total),
            call.address,
        ]
        limit = (seconds or 0) + SLACK * (1 if total is None else 5)
        return _ghz_load(json.loads(run_command(pinned(argv, cpus), timeout=limit)))


def _ghz_extent(seconds: float | None, total: int | None) -> list[str]:
    if total is not None:
        return [f"--total={total}"]
    if seconds is None:
        raise ValueError("ghz needs seconds or total")
    # Calls still running when time is up are waited for and counted: a slow
    # server (a batch takes a second or more) still shows its real rate.
    return [f"--duration={seconds}s", "--duration-stop=wait"]


def _ghz_load(report: dict[str, Any]) -> Load:
    codes = report.get("statusCodeDistribution") or {}
    count = int(report.get("count", 0))
    if count == 0:
        raise HarnessError(f"ghz made no calls: {report.get('errorDistribution')}")
    percentiles = {
        int(p["percentage"]): p["latency"] / 1e6
        for p in report.get("latencyDistribution") or []
    }
    return Load(
        requests=count,
        seconds=report["total"] / 1e9,
        rps=float(report["rps"]),
        p50_ms=percentiles.get(50, float("nan")),
        p99_ms=percentiles.get(99, float("nan")),
        errors=count - int(codes.get("OK", 0)),
    )


# ------------------------------------------------------------------- wrk

_WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = [==[{body}]==]
{headers}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n{{"requests": %d, "us": %d, "p50": %d, "p99": %d, "errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def wrk(
    wrk_binary: Path,
    call: HttpCall,
    concurrency: int,
    *,
    seconds: float,
    cpus: str | None = None,
) -> Load:
    headers = {"Content-Type": "application/json", **call.headers}
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = _WRK_SCRIPT.format(body=json.dumps(call.body), headers=lines)
    with tempfile.TemporaryDirectory(prefix="wrk-") as folder:
        path = Path(folder) / "post.lua"
        path.write_text(script)
        argv = [
            wrk_binary,
            "--threads=1",
            f"--connections={concurrency}",
            # wrk takes whole seconds only.
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={path}",
            call.url,
        ]
        output = run_command(pinned(argv, cpus), timeout=seconds + SLACK)
    return _wrk_load(output)


def _wrk_load(output: str) -> Load:
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise HarnessError(f"wrk printed no summary:\n{output[-2000:]}")
    summary = json.loads(lines[-1])
    if summary["requests"] == 0:
        raise HarnessError(f"wrk made no calls:\n{output[-2000:]}")
    seconds = summary["us"] / 1e6
    return Load(
        requests=summary["requests"],
        seconds=seconds,
        rps=summary["requests"] / seconds,
        p50_ms=summary["p50"] / 1000,
        p99_ms=summary["p99"] / 1000,
        errors=summary["errors"],
    )
