"""Per-request overhead over HTTP/JSON: the echo, loaded by wrk.

modelwire's contender is its HTTP/JSON gateway (``modelwire serve
--http-port``); while the installed modelwire lacks it, that row is pending
and the two baselines are still measured.
"""

from __future__ import annotations

from functools import partial

from harness import probe, servers
from harness.compare import compare, deadline
from harness.context import Context
from harness.loadgen import Load, wrk
from harness.procs import HarnessError, ServerProcess
from harness.results import Comparison, Goal
from harness.servers import ECHO_TEXT, Target

MODELWIRE = "modelwire gateway"
STARLETTE = "hand-written Starlette"
CAIKIT = "Caikit"
GOALS = [
    Goal("gateway / hand-written, requests/s", MODELWIRE, STARLETTE, "rps", 0.7),
    Goal("gateway / Caikit, requests/s", MODELWIRE, CAIKIT, "rps", 5.0),
    Goal("gateway / hand-written, p99", MODELWIRE, STARLETTE, "p99_ms", None, False),
]


def run(ctx: Context) -> Comparison:
    return compare(
        ctx,
        [
            (MODELWIRE, partial(servers.modelwire_echo, ctx, http=True)),
            (STARLETTE, partial(servers.starlette_echo, ctx)),
            (CAIKIT, partial(servers.caikit_echo, ctx, http=True)),
        ],
        tag="http-echo",
        concurrencies=ctx.settings.concurrencies,
        seconds=ctx.settings.seconds,
        load=partial(http_load, ctx),
        ready=echo_ready,
        goals=GOALS,
    )


def http_load(ctx: Context, target: Target, concurrency: int, seconds: float) -> Load:
    binary = ctx.tools.need("wrk")
    call = target.need_http()
    return wrk(binary, call, concurrency, seconds=seconds, cpus=ctx.load_cpus)


def echo_ready(target: Target, process: ServerProcess) -> None:
    _, answer = probe.first_http_answer(process, target.need_http(), deadline())
    if answer.get("text") != ECHO_TEXT:
        raise HarnessError(f"{target.name} answered {answer!r}, not the echo")
