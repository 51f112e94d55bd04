"""Stale files, after: no module and no extra package any more."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Page:
    """Only a title is left."""

    title: str
