"""A run() parameter whose type protobuf cannot express, beside a valid RPC.

The whole generation must fail rather than drop the broken RPC.
"""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Out:
    value: str


@mw.task(output=Out)
class Echo:
    text: str


@mw.task(output=Out)
class Shout:
    text: str


@mw.module(id="bad.shout", name="Shout", version="1", task=Shout)
class Shouter(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Shouter:
        return cls()

    def run(self, text: str) -> Out:
        raise NotImplementedError


@mw.module(id="bad.echo", name="Echo", version="1", task=Echo)
class Echoer(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Echoer:
        return cls()

    def run(self, text: str, ids: set[int] = frozenset()) -> Out:
        raise NotImplementedError
