"""The gateway's call threads: module calls leave the event loop, and a
cancelled call is abandoned rather than waited for."""

from __future__ import annotations

import asyncio
import threading

import anyio

from modelwire.runtime.gateway import CallThreads


def test_calls_run_on_their_own_threads_not_the_event_loop():
    calls = CallThreads(2)

    async def idents() -> tuple[int, int]:
        return threading.get_ident(), await calls.run(threading.get_ident)

    loop_thread, call_thread = asyncio.run(idents())
    calls.close()
    assert loop_thread != call_thread


def test_arguments_and_results_pass_through():
    calls = CallThreads(1)
    assert asyncio.run(calls.run(divmod, 17, 5)) == (3, 2)
    calls.close()


def test_a_cancelled_call_is_abandoned_and_finishes_in_the_background():
    """The caller gets control back while the call is still running."""
    calls = CallThreads(1)
    release, finished = threading.Event(), threading.Event()

    def slow() -> None:
        release.wait(60)
        finished.set()

    async def give_up() -> bool:
        with anyio.move_on_after(0.05) as scope:
            await calls.run(slow)
        return scope.cancelled_caught

    assert asyncio.run(give_up())
    assert not finished.is_set()
    release.set()
    assert finished.wait(60)
    calls.close()
