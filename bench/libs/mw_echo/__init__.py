"""The echo library that modelwire serves in the benchmarks.

Its proto package is ``echobench.v1``, so the stubs that protoc compiles from
the generated files (used by the hand-written servicer) never shadow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

import modelwire as mw

mw.declare_library(__name__, "echobench.v1")


@mw.dataobject
class Echoed:
    """The text, sent back."""

    text: str


@mw.task(output=Echoed)
class Echo:
    """Send the text back unchanged."""

    text: str


@mw.module(id="mw_echo.echo", name="Echo", version="1.0.0", task=Echo)
class EchoModule(mw.ModuleBase):
    """Does no work, so a call costs only what the runtime adds."""

    @classmethod
    def load(cls, model_path: Path) -> Self:
        return cls()

    def run(self, text: str) -> Echoed:
        return Echoed(text)
