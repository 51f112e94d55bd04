"""A test library."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional, Union

import modelwire as mw


class Color(enum.Enum):
    """Colours."""

    RED = "red"
    GREEN = "green"


@mw.dataobject
class Item:
    """An item."""

    name: str
    qty: int = 1


@mw.dataobject
class Result:
    """The result."""

    label: Color
    items: list[Item]
    counts: dict[str, int]
    u: Union[str, int] = ""
    at: Optional[datetime] = None


@mw.task(output=Result)
class Analyse:
    """Analyse a text."""

    text: str


@mw.module(id="alpha.m", name="M", version="1", task=Analyse)
class M(mw.ModuleBase):
    @classmethod
    def load(cls, model_path):
        return cls()

    def run(self, text: str, limit: int = 5, flag: Optional[bool] = None) -> Result:
        return Result(Color.RED, [Item(text, limit)], {"flag": int(bool(flag))})
