"""Where a server's time goes under load: py-spy samples, summed per function.

py-spy attaches to the running server (``--nonblocking``, so the server is
never paused) while the load runs; only threads that are running count.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from harness.context import Context
from harness.loadgen import Load
from harness.procs import HarnessError, ServerProcess, pinned, tail
from harness.results import Profile, ProfileLine
from harness.servers import Target

logger = logging.getLogger(__name__)
RATE = 200
INCLUSIVE_LINES = 18
OWN_LINES = 10
#: thread start-up frames, on every stack, saying nothing about the server
_PLUMBING = re.compile(r"\((threading|concurrent/futures/thread)\.py\)$")
_LINE_NUMBER = re.compile(r":\d+\)$")


def profile(
    ctx: Context,
    target: Target,
    workload: str,
    ready: Callable[[Target, ServerProcess], None],
    load: Callable[[float], Load],
) -> Profile:
    py_spy = ctx.tools.need("py_spy")
    seconds = ctx.settings.profile_seconds
    tag = f"profile-{workload}-{target.name}".replace(" ", "-").replace("/", "-")
    raw = ctx.work / "profiles" / f"{tag}.txt"
    raw.parent.mkdir(parents=True, exist_ok=True)
    with target.process(ctx, tag, ctx.server_cpus) as process:
        ready(target, process)
        load(ctx.settings.warmup_seconds)
        argv = [py_spy, "record", "--pid", process.pid, "--duration", round(seconds)]
        argv += ["--rate", RATE, "--format", "raw", "--output", raw, "--nonblocking"]
        spy = subprocess.Popen(
            pinned(argv, ctx.load_cpus),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # The load outlasts the sampling, so every sample sees a busy server.
        measured = load(seconds + 1)
        output, _ = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not raw.exists():
        raise HarnessError(f"py-spy failed: {tail(output)}")
    samples, lines = summarise(raw)
    logger.info("profiled %s: %d samples in %s", target.name, samples, raw)
    return Profile(target.name, workload, samples, lines, measured.rps)


def _samples(text: str) -> Iterator[tuple[str, int]]:
    """(stack, count) per sample line of py-spy's raw output.

    A frame's name can hold a line break (code compiled from a string, such
    as a lazy importer's), so a line that does not end in a count goes on in
    the next one.
    """
    pending = ""
    for line in text.splitlines():
        stack, _, count_text = (pending + line).rpartition(" ")
        if count_text.isdigit() and stack:
            pending = ""
            yield stack, int(count_text)
        else:
            pending += line + " "


def summarise(raw: Path) -> tuple[int, list[ProfileLine]]:
    """Share of samples per function: on the stack at all, and at its top."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for stack, count in _samples(raw.read_text()):
        frames = [_LINE_NUMBER.sub(")", f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        raise HarnessError(f"py-spy took no samples of a busy server ({raw})")
    chosen = [f for f, _ in inclusive.most_common() if not _PLUMBING.search(f)]
    picked = set(chosen[:INCLUSIVE_LINES]) | {f for f, _ in own.most_common(OWN_LINES)}
    lines = [
        ProfileLine(f, inclusive[f] / total, own[f] / total)
        for f in sorted(picked, key=lambda f: (-inclusive[f], -own[f]))
    ]
    return total, lines
