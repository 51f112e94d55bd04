"""A second library that also has a data object named Result."""

from __future__ import annotations

from typing import Optional

import modelwire as mw
from beta import legacy


@mw.dataobject
class Result:
    """The result of scoring, unlike alpha's Result."""

    text: str
    score: float
    previous: Optional[legacy.Result] = None


@mw.task(output=Result)
class Score:
    """Score a text."""

    text: str


@mw.module(id="beta.scorer", name="Scorer", version="1", task=Score)
class Scorer(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Scorer:
        return cls()

    def run(self, text: str) -> Result:
        raise NotImplementedError
