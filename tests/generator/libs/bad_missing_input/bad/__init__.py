"""A run() that lacks the task input "text"."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Out:
    value: str


@mw.task(output=Out)
class Echo:
    text: str


@mw.module(id="bad.echo", name="Echo", version="1", task=Echo)
class Echoer(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Echoer:
        return cls()

    def run(self, limit: int = 3) -> Out:
        raise NotImplementedError
