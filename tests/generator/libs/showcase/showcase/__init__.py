"""A library that uses every shape the generator can express."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Annotated, Optional, Union

import modelwire as mw
from showcase.common import Provenance
from showcase.labels import Sentiment


class Priority(enum.Enum):
    """Explicitly numbered levels."""

    LOW = 1
    HIGH = 5


class Mode(enum.Enum):
    """Used only by a run() parameter."""

    FAST = "fast"
    THOROUGH = "thorough"


@mw.dataobject
class Span:
    """A half-open character range."""

    start: mw.int32
    end: mw.int32


@mw.dataobject
class Token:
    """One token and where it sits."""

    text: str
    span: Span
    weight: mw.float32 = mw.field(default=1.0, doc="Relative importance.")


@mw.dataobject
class Classification:
    """The label of a text, with evidence."""

    sentiment: Sentiment
    score: float
    priorities: list[Priority]
    evidence: list[Token]
    by_label: dict[str, float]
    spans_by_name: dict[str, Span]
    label_by_id: dict[mw.uint32, Sentiment]
    provenance: Provenance
    detail: Union[
        Annotated[str, mw.Branch("note")], Annotated[Span, mw.Branch("focus")]
    ] = ""
    created: Optional[datetime] = None
    elapsed: Optional[timedelta] = None
    reviewer: Optional[str] = None
    digest: bytes = b""


@mw.dataobject
class Summary:
    """A shorter text and the spans it came from."""

    text: str
    sources: list[Span]
    took: timedelta
    at: datetime
    size: mw.uint64 = 0


@mw.task(output=Classification)
class ClassifyText:
    """Label the sentiment of a text."""

    text: str


@mw.task(output=Summary)
class SummarizeText:
    """Shorten a text."""

    text: str
    max_words: mw.int32 = 50


@mw.module(id="showcase.keywords", name="Keywords", version="1.0", task=ClassifyText)
class KeywordClassifier(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> KeywordClassifier:
        return cls()

    def run(
        self, text: str, threshold: float = 0.5, mode: Mode = Mode.FAST
    ) -> Classification:
        raise NotImplementedError


@mw.module(id="showcase.neural", name="Neural", version="2.0", task=ClassifyText)
class NeuralClassifier(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> NeuralClassifier:
        return cls()

    def run(
        self,
        text: str,
        threshold: float = 0.5,
        deadline: Optional[datetime] = None,
        hint: Optional[Span] = None,
    ) -> Classification:
        raise NotImplementedError


@mw.module(id="showcase.summary", name="Summary", version="1.0", task=SummarizeText)
class Summarizer(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Summarizer:
        return cls()

    def run(
        self, text: str, max_words: mw.int32 = 50, budget: Optional[timedelta] = None
    ) -> Summary:
        raise NotImplementedError
