"""Text sentiment with 32 concurrent callers: batching off and on, and Caikit.

Every server runs the example's own classifier on the same trained model;
the servers are not pinned, since torch uses every core it is given. The
model's own in-process rates (one sentence at a time, and batches of 32 as
the ceiling; each the better of one torch thread and one per core) take
their turn in every round, on the same sentences.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial

from harness import artefacts, probe, servers
from harness.compare import InProcess, compare, deadline
from harness.context import Context
from harness.loadgen import Load, ghz
from harness.paths import EXAMPLES, PYTHON, SERVERS
from harness.procs import HarnessError, ServerProcess, run_command
from harness.results import Comparison, Goal
from harness.servers import Target

BATCHING_OFF = "modelwire, batching off"
BATCHING_ON = "modelwire, batching on"
CAIKIT = "Caikit"
ONE_AT_A_TIME = "in process, one at a time"
CEILING = "in process, batches of 32 (ceiling)"
#: Batching's own targets; the comparisons with Caikit are shown unjudged.
#: seconds the in-process run may take beyond its measuring (loading torch)
IN_PROCESS_SLACK = 300.0
GOALS = [
    Goal("batching on / ceiling, sentences/s", BATCHING_ON, CEILING, "rps", 0.85),
    Goal(
        "batching off / one at a time, sentences/s",
        BATCHING_OFF,
        ONE_AT_A_TIME,
        "rps",
        1.0,
    ),
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
        in_process=InProcess((ONE_AT_A_TIME, CEILING), partial(in_process_rates, ctx)),
    )


def in_process_rates(ctx: Context, seconds: float) -> dict[str, Load]:
    """The model's own rates, in a fresh process like the servers' own."""
    sentences = ctx.work / "sentences.json"
    sentences.write_text(json.dumps(list(servers.SENTENCES)))
    argv = [
        PYTHON,
        SERVERS / "sentiment_in_process.py",
        "--model",
        artefacts.sentiment_models() / artefacts.SENTIMENT_MODEL,
        "--sentences",
        sentences,
        "--seconds",
        str(seconds),
        "--batch",
        str(ctx.settings.sentiment_callers),
        "--examples",
        EXAMPLES,
    ]
    # Not the servers' one-thread setting: the script tries each thread count.
    output = run_command(argv, timeout=4 * seconds + IN_PROCESS_SLACK)
    rates = json.loads(output.strip().splitlines()[-1])
    return {
        ONE_AT_A_TIME: _rate_load(rates["one_at_a_time"], seconds),
        CEILING: _rate_load(rates["batched"], seconds),
    }


def _rate_load(rate: float, seconds: float) -> Load:
    # In process there is no call to time: only the rate is known.
    nan = float("nan")
    return Load(round(rate * seconds), seconds, rate, nan, nan, 0)


def sentiment_load(
    ctx: Context, target: Target, concurrency: int, seconds: float
) -> Load:
    binary = ctx.tools.need("ghz")
    return ghz(binary, target.need_grpc(), concurrency, seconds=seconds)


def sentiment_ready(target: Target, process: ServerProcess) -> None:
    _, answer = probe.first_grpc_answer(process, target.need_grpc(), deadline())
    if "label" not in answer:
        raise HarnessError(f"{target.name} answered {answer!r}, not a sentiment")
