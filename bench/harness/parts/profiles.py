"""Profiles of modelwire and its floor, taken when modelwire misses an echo goal."""

from __future__ import annotations

import logging
from functools import partial

from harness import servers
from harness.context import Context
from harness.parts import grpc_echo, http_echo
from harness.procs import HarnessError
from harness.profiler import profile
from harness.results import Comparison, Profile
from harness.servers import Target

logger = logging.getLogger(__name__)
CONCURRENCY = 16


def run(
    ctx: Context, grpc: Comparison | None, http: Comparison | None, force: bool
) -> tuple[list[Profile], dict[str, str]]:
    """The profiles, and the ones that failed (name -> why)."""
    wanted: list[tuple[str, Target, str]] = []
    if grpc is not None and (force or grpc.missed()):
        workload = f"gRPC echo at concurrency {CONCURRENCY}"
        wanted += [
            ("grpc", servers.modelwire_echo(ctx), workload),
            ("grpc", servers.handwritten_grpc(ctx), workload),
        ]
    if (
        http is not None
        and http_echo.MODELWIRE in http.loads
        and (force or http.missed())
    ):
        workload = f"HTTP/JSON echo at concurrency {CONCURRENCY}"
        wanted += [
            ("http", servers.modelwire_echo(ctx, http=True), workload),
            ("http", servers.starlette_echo(ctx), workload),
        ]
    profiles, failed = [], {}
    for protocol, target, workload in wanted:
        try:
            profiles.append(_profile(ctx, protocol, target, workload))
        except HarnessError as exc:
            logger.error("profiling %s failed: %s", target.name, exc)
            failed[f"{target.name}, {workload}"] = str(exc)
    return profiles, failed


def _profile(ctx: Context, protocol: str, target: Target, workload: str) -> Profile:
    if protocol == "grpc":
        load = partial(grpc_echo.grpc_load, ctx, target, CONCURRENCY)
        return profile(ctx, target, workload, grpc_echo.echo_ready, load)
    load = partial(http_echo.http_load, ctx, target, CONCURRENCY)
    return profile(ctx, target, workload, http_echo.echo_ready, load)
