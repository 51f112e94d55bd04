"""A data object field whose type protobuf cannot express."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject
class Bag:
    labels: set[str]
