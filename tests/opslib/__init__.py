"""A small library for the operations tests (health, limits, metrics...)."""

from __future__ import annotations

import time
from pathlib import Path

import modelwire as mw

mw.declare_library(__name__, "opstest.v1")
#: a gated model loads once this file exists in its folder
RELEASE_FILE = "release"


@mw.dataobject
class Text:
    """A piece of text."""

    text: str


@mw.task(output=Text)
class Echo:
    """Send the text back."""

    text: str


@mw.task(output=Text)
class Grow:
    """Send the text back ``times`` times over."""

    text: str
    times: int


class _Stateless(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: Path) -> _Stateless:
        return cls()


@mw.module(id="opslib.echo", name="Echo", version="1.0.0", task=Echo)
class EchoModule(_Stateless):
    def run(self, text: str, delay_ms: int = 0) -> Text:
        time.sleep(delay_ms / 1000)
        return Text(text)


@mw.module(id="opslib.gated_echo", name="Gated echo", version="1.0.0", task=Echo)
class GatedEcho(EchoModule):
    """Loads only once the test creates the release file (at most a minute)."""

    @classmethod
    def load(cls, model_path: Path) -> GatedEcho:
        deadline = time.monotonic() + 60
        while not (model_path / RELEASE_FILE).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{model_path / RELEASE_FILE} never appeared")
            time.sleep(0.05)
        return cls()


@mw.module(id="opslib.grow", name="Grow", version="1.0.0", task=Grow)
class GrowModule(_Stateless):
    def run(self, text: str, times: int) -> Text:
        return Text(text * times)
