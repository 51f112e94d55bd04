"""A module of a namespace package (no __init__.py): no folder for its lock."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Thing:
    a: str
