"""Field numbers chosen by hand."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Pinned:
    """Its first field is pinned to number 7."""

    x: str = mw.field(default="", number=7)
    y: int = 0
    z: bool = mw.field(default=False, number=3)
