"""Server memory under a long run of echo calls: RSS at fixed call counts.

The first checkpoint (1,000 calls) is the baseline, after imports, lazily
built caches and grpc's buffers have settled; growth after it is what a leak
would show. The hand-written servicer runs the same calls, as a yardstick
for what grpcio itself does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from harness import servers
from harness.context import Context
from harness.loadgen import ghz
from harness.parts.grpc_echo import echo_ready
from harness.procs import HarnessError, ServerProcess
from harness.results import MemoryRuns
from harness.servers import Target

logger = logging.getLogger(__name__)
CONCURRENCY = 16
#: seconds the server gets after a batch of calls before its RSS is read
SETTLE = 0.5


def run(ctx: Context) -> MemoryRuns:
    result = MemoryRuns()
    contenders: list[tuple[str, Callable[[], Target]]] = [
        ("modelwire", partial(servers.modelwire_echo, ctx)),
        ("hand-written grpcio", partial(servers.handwritten_grpc, ctx)),
    ]
    for name, describe in contenders:
        try:
            result.rss[name] = _track(ctx, describe())
        except HarnessError as exc:
            logger.error("memory run of %s failed: %s", name, exc)
            result.failed[name] = str(exc)
    return result


def _track(ctx: Context, target: Target) -> list[tuple[int, float]]:
    binary = ctx.tools.need("ghz")
    call = target.need_grpc()
    tag = f"memory-{target.name}".replace(" ", "-")
    samples = []
    with target.process(ctx, tag, ctx.server_cpus) as process:
        echo_ready(target, process)
        done = 1  # the readiness probe's call
        for checkpoint in ctx.settings.memory_checkpoints:
            calls = checkpoint - done
            if calls > 0:
                ghz(binary, call, CONCURRENCY, total=calls, cpus=ctx.load_cpus)
                done = checkpoint
            samples.append((checkpoint, _settled_rss(process)))
            logger.info("%-20s %7d calls  RSS %.1f MiB", target.name, *samples[-1])
    return samples


def _settled_rss(process: ServerProcess) -> float:
    time.sleep(SETTLE)
    return process.rss_mib()
