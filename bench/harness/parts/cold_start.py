"""Cold start: seconds from launching a server to its first correct answer.

The clock starts just before the process is launched and stops when the
harness, already connected and retrying every few milliseconds, gets a
correct answer. Launches of different servers alternate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial

from harness import probe, servers
from harness.compare import deadline
from harness.context import Context
from harness.procs import HarnessError, Pending
from harness.results import ColdStarts
from harness.servers import ECHO_TEXT, Target

logger = logging.getLogger(__name__)
ECHO = "echo"
SENTIMENT = "text sentiment"
#: seconds one launch may take before it counts as failed
ECHO_TIMEOUT = 60.0
SENTIMENT_TIMEOUT = 300.0

#: (server name, how to describe it, whether its first call goes over HTTP)
Launcher = tuple[str, Callable[[], Target], bool]


def run(ctx: Context) -> ColdStarts:
    result = ColdStarts()
    echo: list[Launcher] = [
        ("modelwire", partial(servers.modelwire_echo, ctx), False),
        (
            "modelwire with its HTTP gateway (first HTTP call)",
            partial(servers.modelwire_echo, ctx, http=True),
            True,
        ),
        ("hand-written grpcio", partial(servers.handwritten_grpc, ctx), False),
        ("Caikit", partial(servers.caikit_echo, ctx), False),
    ]
    sentiment: list[Launcher] = [
        ("modelwire", partial(servers.modelwire_sentiment, ctx), False),
        ("Caikit", partial(servers.caikit_sentiment, ctx), False),
    ]
    settings = ctx.settings
    _measure(ctx, ECHO, echo, settings.cold_start_repeats, ECHO_TIMEOUT, result)
    _measure(
        ctx,
        SENTIMENT,
        sentiment,
        settings.cold_start_repeats_sentiment,
        SENTIMENT_TIMEOUT,
        result,
    )
    return result


def _measure(
    ctx: Context,
    workload: str,
    launchers: Sequence[Launcher],
    repeats: int,
    timeout: float,
    result: ColdStarts,
) -> None:
    # The first launch only warms the file cache when the settings ask for it.
    warmup = 1 if ctx.settings.cold_start_warmup else 0
    for index in range(repeats + warmup):
        shift = index % len(launchers)
        for name, describe, over_http in [*launchers[shift:], *launchers[:shift]]:
            key = (workload, name)
            if key in result.failed or key in result.pending:
                continue
            try:
                seconds = _launch(ctx, describe(), over_http, timeout, workload)
            except Pending as exc:
                result.pending[key] = str(exc)
                continue
            except HarnessError as exc:
                logger.error("cold start of %s (%s) failed: %s", name, workload, exc)
                result.failed[key] = str(exc)
                continue
            logger.info("cold start %-14s %-50s %.3f s", workload, name, seconds)
            if index >= warmup:
                result.seconds.setdefault(key, []).append(seconds)


def _launch(
    ctx: Context, target: Target, over_http: bool, timeout: float, workload: str
) -> float:
    tag = f"cold-{workload}-{target.name}".replace(" ", "-")
    with target.process(ctx, tag) as process:
        if over_http:
            call = target.need_http()
            seconds, answer = probe.first_http_answer(process, call, deadline(timeout))
        else:
            call = target.need_grpc()
            seconds, answer = probe.first_grpc_answer(process, call, deadline(timeout))
    expected = "label" if workload == SENTIMENT else "text"
    if expected not in answer or (expected == "text" and answer["text"] != ECHO_TEXT):
        raise HarnessError(f"{target.name} answered {answer!r}")
    return seconds
