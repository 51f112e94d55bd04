"""Wire names that are keywords in Python and in other languages."""

from __future__ import annotations

import enum

import modelwire as mw


class Relation(enum.Enum):
    """A member whose Python name needs the trailing-underscore escape."""

    None_ = 1
    PARENT = 2


@mw.dataobject
class Edge:
    """An edge whose field names are reserved words."""

    from_: str
    to: str
    type_: Relation
    class_: int
    import_: bool
    None_: str = ""


@mw.task(output=Edge)
class Connect:
    """Link two nodes."""

    from_: str
    to: str


@mw.module(id="kw.linker", name="Linker", version="1.0", task=Connect)
class Linker(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Linker:
        return cls()

    def run(self, from_: str, to: str, class_: int = 0) -> Edge:
        raise NotImplementedError
