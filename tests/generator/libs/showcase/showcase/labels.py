"""An enum in a submodule: the types file's header names this module too."""

from __future__ import annotations

import enum


class Sentiment(enum.Enum):
    """How a text feels."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
