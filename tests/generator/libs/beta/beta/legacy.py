"""A third Result, kept in a package of its own with @dataobject(package=...)."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject(package="beta.legacy.v1")
class Result:
    """The old result shape."""

    grade: int


@mw.dataobject(package="beta.archive.v1")
class Archived:
    """Referenced by nothing, yet emitted: its library declared it."""

    key: str
