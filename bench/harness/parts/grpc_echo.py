"""Per-request overhead over gRPC: the echo, loaded by ghz."""

from __future__ import annotations

from functools import partial

from harness import probe, servers
from harness.compare import compare, deadline
from harness.context import Context
from harness.loadgen import Load, ghz
from harness.procs import HarnessError, ServerProcess
from harness.results import Comparison, Goal
from harness.servers import ECHO_TEXT, Target

MODELWIRE = "modelwire"
HANDWRITTEN = "hand-written grpcio"
CAIKIT = "Caikit"
GOALS = [
    Goal("modelwire / hand-written, requests/s", MODELWIRE, HANDWRITTEN, "rps", 0.9),
    Goal("modelwire / Caikit, requests/s", MODELWIRE, CAIKIT, "rps", 3.0),
    Goal(
        "modelwire / hand-written, p99",
        MODELWIRE,
        HANDWRITTEN,
        "p99_ms",
        1.2,
        higher_is_better=False,
    ),
]


def run(ctx: Context) -> Comparison:
    return compare(
        ctx,
        [
            (MODELWIRE, partial(servers.modelwire_echo, ctx)),
            (HANDWRITTEN, partial(servers.handwritten_grpc, ctx)),
            (CAIKIT, partial(servers.caikit_echo, ctx)),
        ],
        tag="grpc-echo",
        concurrencies=ctx.settings.concurrencies,
        seconds=ctx.settings.seconds,
        load=partial(grpc_load, ctx),
        ready=echo_ready,
        goals=GOALS,
    )


def grpc_load(ctx: Context, target: Target, concurrency: int, seconds: float) -> Load:
    binary = ctx.tools.need("ghz")
    call = target.need_grpc()
    return ghz(binary, call, concurrency, seconds=seconds, cpus=ctx.load_cpus)


def echo_ready(target: Target, process: ServerProcess) -> None:
    _, answer = probe.first_grpc_answer(process, target.need_grpc(), deadline())
    if answer.get("text") != ECHO_TEXT:
        raise HarnessError(f"{target.name} answered {answer!r}, not the echo")
