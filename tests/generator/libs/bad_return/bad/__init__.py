"""A run() that returns another type than the task output."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Out:
    value: str


@mw.dataobject
class Other:
    value: int


@mw.task(output=Out)
class Echo:
    text: str


@mw.module(id="bad.echo", name="Echo", version="1", task=Echo)
class Echoer(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Echoer:
        return cls()

    def run(self, text: str) -> Other:
        raise NotImplementedError
