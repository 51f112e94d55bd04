"""A data object kept in a package of its own."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject(package="showcase.common.v1")
class Provenance:
    """Where a result came from."""

    model_id: str
    version: str = ""
