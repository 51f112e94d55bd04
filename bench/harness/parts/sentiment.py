"""Text sentiment with 32 concurrent callers: batching off and on, and Caikit.

Every server runs the example's own classifier on the same trained model;
the servers are not pinned, since torch uses every core it is given.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from harness import probe, servers
from harness.compare import compare, deadline
from harness.context import Context
from harness.loadgen import Load, ghz
from harness.procs import HarnessError, ServerProcess
from harness.results import Comparison, Goal
from harness.servers import Target

BATCHING_OFF = "modelwire, batching off"
BATCHING_ON = "modelwire, batching on"
CAIKIT = "Caikit"
#: No targets are set for this workload: the ratios are shown unjudged.
GOALS = [
    Goal("batching on / off, sentences/s", BATCHING_ON, BATCHING_OFF, "rps"),
    Goal("batching on / Caikit, sentences/s", BATCHING_ON, CAIKIT, "rps"),
    Goal("batching off / Caikit, sentences/s", BATCHING_OFF, CAIKIT, "rps"),
]


def run(ctx: Context) -> Comparison:
    return compare(
        replace(ctx, server_cpus=None),
        [
            (BATCHING_OFF, partial(servers.modelwire_sentiment, ctx, batching=False)),
            (BATCHING_ON, partial(servers.modelwire_sentiment, ctx, batching=True)),
            (CAIKIT, partial(servers.caikit_sentiment, ctx)),
        ],
        tag="sentiment",
        concurrencies=[ctx.settings.sentiment_callers],
        seconds=ctx.settings.sentiment_seconds,
        load=partial(sentiment_load, ctx),
        ready=sentiment_ready,
        goals=GOALS,
    )


def sentiment_load(
    ctx: Context, target: Target, concurrency: int, seconds: float
) -> Load:
    binary = ctx.tools.need("ghz")
    return ghz(binary, target.need_grpc(), concurrency, seconds=seconds)


def sentiment_ready(target: Target, process: ServerProcess) -> None:
    _, answer = probe.first_grpc_answer(process, target.need_grpc(), deadline())
    if "label" not in answer:
        raise HarnessError(f"{target.name} answered {answer!r}, not a sentiment")
