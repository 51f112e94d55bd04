"""Field-lock history, a new task and module beside Make."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Thing:
    """A thing."""

    a: str
    b: int


@mw.task(output=Thing)
class Make:
    """Make a thing."""

    text: str


@mw.module(id="evolve.maker", name="Maker", version="1", task=Make)
class Maker(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Maker:
        return cls()

    def run(self, text: str) -> Thing:
        raise NotImplementedError


@mw.task(output=Thing)
class Copy:
    """Copy a thing."""

    thing: Thing


@mw.module(id="evolve.copier", name="Copier", version="1", task=Copy)
class Copier(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Copier:
        return cls()

    def run(self, thing: Thing, times: int = 1) -> Thing:
        raise NotImplementedError
