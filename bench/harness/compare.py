"""Servers taking turns under one load: started together, measured in rotation.

All servers of a comparison run at once, each pinned to the same core, and
are loaded one at a time; each round rotates the order, so drift of the
machine (other tenants, thermal state) falls on every server alike and the
ratios are taken between neighbouring measurements.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace

from harness.context import Context
from harness.loadgen import Load
from harness.procs import HarnessError, Pending, ServerProcess
from harness.results import Comparison, Goal
from harness.servers import Target

logger = logging.getLogger(__name__)

#: Makes one load run: (target, concurrency, seconds) -> Load.
LoadRun = Callable[[Target, int, float], Load]
#: Waits for a started server's first correct answer; raises HarnessError.
Ready = Callable[[Target, ServerProcess], None]
#: A server's name in the tables, and how to describe it (may raise Pending).
Contender = tuple[str, Callable[[], Target]]
#: seconds a server may take to start (the sentiment ones load torch)
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class InProcess:
    """Rates measured in process, without a server: rows of their own."""

    #: the rows it fills, in the order ``measure`` returns them
    names: tuple[str, ...]
    #: seconds per rate -> one Load per name
    measure: Callable[[float], dict[str, Load]]


def compare(
    ctx: Context,
    contenders: Sequence[Contender],
    *,
    tag: str,
    concurrencies: Sequence[int],
    seconds: float,
    load: LoadRun,
    ready: Ready,
    goals: Sequence[Goal] = (),
    in_process: InProcess | None = None,
) -> Comparison:
    """Measures each described target; one that cannot be described is pending.

    ``in_process`` (rates measured without a server) takes its turn in every
    round like a server does; its figures hold for every concurrency.
    """
    targets, result = _describe(contenders, concurrencies, goals)
    if in_process is not None:
        result.servers += list(in_process.names)
    with ExitStack() as stack:
        running = _start_all(ctx, stack, targets, tag, ready, result)
        _warm_up(ctx, running, max(concurrencies), load, result)
        for index in range(ctx.settings.rounds):
            turns: list[Target | InProcess] = [*running]
            if in_process is not None:
                turns.append(in_process)
            shift = index % len(turns)
            for turn in turns[shift:] + turns[:shift]:
                if isinstance(turn, InProcess):
                    _measure_in_process(turn, concurrencies, seconds, result)
                    continue
                for concurrency in concurrencies:
                    _measure(turn, concurrency, seconds, load, result)
    return result


def _describe(
    contenders: Sequence[Contender],
    concurrencies: Sequence[int],
    goals: Sequence[Goal],
) -> tuple[list[Target], Comparison]:
    targets: list[Target] = []
    result = Comparison(
        [name for name, _ in contenders], list(concurrencies), list(goals)
    )
    for name, describe in contenders:
        try:
            targets.append(replace(describe(), name=name))
        except Pending as exc:
            result.pending[name] = str(exc)
        except HarnessError as exc:
            result.failed[name] = str(exc)
    return targets, result


def _start_all(
    ctx: Context,
    stack: ExitStack,
    targets: list[Target],
    tag: str,
    ready: Ready,
    result: Comparison,
) -> list[Target]:
    """Starts the servers one after the other, so that none starts under load."""
    running = []
    for target in targets:
        log_tag = f"{tag}-{target.name}".replace(" ", "-").replace(",", "")
        process = stack.enter_context(target.process(ctx, log_tag, ctx.server_cpus))
        try:
            ready(target, process)
        except HarnessError as exc:
            logger.error("%s did not start: %s", target.name, exc)
            result.failed[target.name] = str(exc)
            process.stop()
            continue
        logger.info("%s is ready", target.name)
        running.append(target)
    return running


def _warm_up(
    ctx: Context,
    running: list[Target],
    concurrency: int,
    load: LoadRun,
    result: Comparison,
) -> None:
    for target in list(running):
        try:
            load(target, concurrency, ctx.settings.warmup_seconds)
        except HarnessError as exc:
            result.failed[target.name] = f"warm-up failed: {exc}"
            running.remove(target)


def _measure(
    target: Target, concurrency: int, seconds: float, load: LoadRun, result: Comparison
) -> None:
    if target.name in result.failed:
        return
    try:
        measured = load(target, concurrency, seconds)
    except HarnessError as exc:
        logger.error("%s at concurrency %d failed: %s", target.name, concurrency, exc)
        result.failed[target.name] = str(exc)
        return
    logger.info(
        "%-28s c=%-3d %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d",
        target.name,
        concurrency,
        measured.rps,
        measured.p50_ms,
        measured.p99_ms,
        measured.errors,
    )
    result.add(target.name, concurrency, measured)


def deadline(seconds: float = START_TIMEOUT) -> float:
    return time.perf_counter() + seconds


def _measure_in_process(
    in_process: InProcess,
    concurrencies: Sequence[int],
    seconds: float,
    result: Comparison,
) -> None:
    if any(name in result.failed for name in in_process.names):
        return
    try:
        measured = in_process.measure(seconds)
    except HarnessError as exc:
        logger.error("in-process measurement failed: %s", exc)
        for name in in_process.names:
            result.failed[name] = str(exc)
        return
    for name, load in measured.items():
        logger.info("%-28s %8.1f per second", name, load.rps)
        for concurrency in concurrencies:
            result.add(name, concurrency, load)
