"""Field-lock history, step 3: a removed."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Thing:
    """A thing."""

    c: float
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
