"""The machine and the software a run measured, for the report's header."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

from harness.paths import ROOT
from harness.procs import HarnessError, run_command
from harness.provision import GHZ_VERSION, Tools


def describe(tools: Tools) -> dict[str, str]:
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.0f} GiB",
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "modelwire": f"{_version('modelwire')} at {_checkout()}",
        "grpcio": _version("grpcio"),
        "protobuf": _version("protobuf"),
        "caikit": (tools.left_out or {}).get("caikit_python")
        or _caikit_versions(tools.caikit_python),
        "ghz": GHZ_VERSION if tools.ghz else "missing",
        "wrk": _wrk_version(tools.wrk),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def _checkout() -> str:
    """The commit measured, marked when src/ had uncommitted changes."""
    try:
        commit = run_command(
            ["git", "rev-parse", "--short", "HEAD"], timeout=30, cwd=ROOT
        )
        changes = run_command(
            ["git", "status", "--porcelain", "src"], timeout=30, cwd=ROOT
        )
    except HarnessError:
        return "an unknown commit"
    dirty = " with uncommitted changes in src/" if changes.strip() else ""
    return f"commit {commit.strip()}{dirty}"


def _caikit_versions(python: Path | None) -> str:
    if python is None:
        return "missing"
    script = (
        "import importlib.metadata as m; "
        "print(' '.join(m.version(d) for d in ('caikit', 'grpcio', 'protobuf')))"
    )
    try:
        caikit, grpcio, protobuf = run_command(
            [python, "-c", script], timeout=60
        ).split()
    except (HarnessError, ValueError):
        return "unknown"
    return f"{caikit} (grpcio {grpcio}, protobuf {protobuf}, in bench/.venvs/caikit)"


def _wrk_version(wrk: Path | None) -> str:
    if wrk is None:
        return "missing"
    # wrk prints its version with the usage text and exits 1.
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split()[1] if first and len(first[0].split()) > 1 else "unknown"
