"""Data objects and the task of the text-sentiment library."""

from __future__ import annotations

import enum

from modelwire import dataobject, task


class Sentiment(enum.Enum):
    """Polarity of a text; the values are the proto enum numbers."""

    NEGATIVE = 1
    POSITIVE = 2


@dataobject
class SentimentResult:
    """Sentiment of one text."""

    label: Sentiment
    #: probability of ``label``, between 0 and 1
    confidence: float


@dataobject
class LabelledText:
    """A text with its known sentiment, used as training data."""

    text: str
    label: Sentiment


@task(output=SentimentResult)
class ClassifySentiment:
    """Decide whether a short English text is positive or negative."""

    text: str
