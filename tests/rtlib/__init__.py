"""A library for the runtime tests: one module per behaviour under test.

Its proto package is declared as ``wiretest.v1`` so that the Python stubs
compiled from its .proto files never shadow this package.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Optional, Union

import modelwire as mw

mw.declare_library(__name__, "wiretest.v1")


@mw.dataobject
class Echoed:
    """What the echo module sends back."""

    text: str


@mw.task(output=Echoed)
class Echo:
    """Send the text back unchanged."""

    text: str


class _Stateless(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: Path) -> _Stateless:
        return cls()


@mw.module(id="rtlib.echo", name="Echo", version="1.0.0", task=Echo)
class EchoModule(_Stateless):
    def run(self, text: str) -> Echoed:
        return Echoed(text)


@mw.module(id="rtlib.unloadable", name="Unloadable", version="1.0.0", task=Echo)
class Unloadable(mw.ModuleBase):
    """A model whose files are never usable: load() always fails."""

    @classmethod
    def load(cls, model_path: Path) -> Unloadable:
        raise OSError(f"{model_path / 'weights.bin'} is truncated")

    def run(self, text: str) -> Echoed:
        return Echoed(text)


#: Calls currently inside SlowEcho.run, and calls that finished.
SLOW_CALLS = {"running": 0, "finished": 0}
_slow_lock = threading.Lock()


@mw.module(id="rtlib.slow_echo", name="Slow echo", version="1.0.0", task=Echo)
class SlowEcho(_Stateless):
    def run(self, text: str, delay_ms: int = 500) -> Echoed:
        with _slow_lock:
            SLOW_CALLS["running"] += 1
        time.sleep(delay_ms / 1000)
        with _slow_lock:
            SLOW_CALLS["running"] -= 1
            SLOW_CALLS["finished"] += 1
        return Echoed(text)


@mw.module(id="rtlib.failing", name="Failing", version="1.0.0", task=Echo)
class Failing(_Stateless):
    """Fails in the way named by the text."""

    def run(self, text: str) -> Echoed:
        if text.startswith("value:"):
            raise ValueError(text.removeprefix("value:"))
        if text.startswith("type:"):
            raise TypeError(text.removeprefix("type:"))
        if text.startswith("call:"):
            code, message = text.removeprefix("call:").split(":", 1)
            raise mw.CallError(code, message)
        if text == "wrong-result":
            return "not an Echoed"  # type: ignore[return-value]
        if text == "exit":
            raise SystemExit(3)
        raise RuntimeError(f"internal detail {text}")


@mw.dataobject
class Inspection:
    """What a module received, as text, so that the test can check it."""

    received: dict[str, str]
    payload: bytes = b""
    at: Optional[datetime] = None
    choice: Union[str, int] = ""


@mw.task(output=Inspection)
class Inspect:
    """Report the arguments that reached run()."""

    payload: bytes
    at: Optional[datetime] = None
    choice: Union[str, int, None] = None


@mw.module(id="rtlib.inspector", name="Inspector", version="1.0.0", task=Inspect)
class Inspector(_Stateless):
    def run(
        self,
        payload: bytes,
        at: Optional[datetime] = None,
        choice: Union[str, int, None] = None,
        x: Optional[int] = None,
        flag: Optional[bool] = None,
        k: int = 5,
    ) -> Inspection:
        received = {
            "x": repr(x),
            "flag": repr(flag),
            "k": repr(k),
            "payload_type": type(payload).__name__,
            "choice": repr(choice),
        }
        return Inspection(received, payload, at, "" if choice is None else choice)


@mw.dataobject
class Counted:
    """One item of a counting stream."""

    index: int


@mw.task(output=Iterator[Counted])
class Count:
    """Stream the numbers 0..n-1."""

    n: int


#: Streams of Counter whose generator has finished (its ``finally`` ran).
STREAMS = {"closed": 0}


@mw.module(id="rtlib.counter", name="Counter", version="1.0.0", task=Count)
class Counter(_Stateless):
    """Counts; ``fail_at`` raises a ValueError when that index is reached."""

    def run(self, n: int, fail_at: int = -1, delay_ms: int = 0) -> Iterator[Counted]:
        try:
            for index in range(n):
                if index == fail_at:
                    raise ValueError(f"cannot count to {index} — 停止")
                if delay_ms:
                    time.sleep(delay_ms / 1000)
                yield Counted(index)
        finally:
            with _slow_lock:
                STREAMS["closed"] += 1


@mw.dataobject
class Total:
    """A sum."""

    total: int
    count: int


@mw.task(output=Total)
class Sum:
    """Add up a stream of numbers."""

    values: Iterator[int]
    scale: int = 1


@mw.module(id="rtlib.summer", name="Summer", version="1.0.0", task=Sum)
class Summer(_Stateless):
    def run(self, values: Iterator[int], scale: int = 1) -> Total:
        items = [v * scale for v in values]
        if any(v < 0 for v in items):
            raise ValueError("negative values are not allowed")
        return Total(sum(items), len(items))


@mw.task(output=Iterator[Total])
class RunningSum:
    """Answer each number with the sum so far."""

    values: Iterator[int]


@mw.module(id="rtlib.running", name="Running sum", version="1.0.0", task=RunningSum)
class Running(_Stateless):
    def run(self, values: Iterator[int]) -> Iterator[Total]:
        total = 0
        for count, value in enumerate(values, start=1):
            total += value
            yield Total(total, count)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


@mw.dataobject
class Part:
    """A named part."""

    name: str
    weight: float


@mw.dataobject
class Description:
    """An enum, a list of nested objects and a list of strings."""

    color: Color
    parts: list[Part]
    tags: list[str]


@mw.task(output=Description)
class Describe:
    """Describe something of the given colour."""

    color: Color


@mw.module(id="rtlib.describer", name="Describer", version="1.0.0", task=Describe)
class Describer(_Stateless):
    def run(self, color: Color) -> Description:
        parts = [Part("wheel", 1.5), Part("frame", 7.25)]
        return Description(color, parts, [color.name.lower(), "bike"])


@mw.dataobject
class Shouted:
    """The text in capitals, and how many calls shared the batch."""

    text: str
    batch_size: int


@mw.task(output=Shouted)
class Shout:
    """Upper-case a text."""

    text: str


@mw.module(id="rtlib.shouter", name="Shouter", version="1.0.0", task=Shout)
class Shouter(_Stateless):
    """Batches calls; "bad" fails alone, "explode" fails the whole batch call."""

    def run(self, text: str, suffix: str = "!") -> Shouted:
        if text in ("bad", "explode"):
            raise ValueError(f"cannot shout {text!r}")
        return Shouted(text.upper() + suffix, 1)

    def run_batch(
        self, text: list[str], suffix: list[str]
    ) -> list[Shouted | Exception]:
        if "explode" in text:
            raise RuntimeError("the whole batch failed")
        time.sleep(0.01)  # gives concurrent calls time to gather
        return [
            ValueError(f"cannot shout {t!r}")
            if t == "bad"
            else Shouted(t.upper() + s, len(text))
            for t, s in zip(text, suffix, strict=True)
        ]
