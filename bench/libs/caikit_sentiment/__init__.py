"""Text sentiment served by Caikit, with the model that modelwire serves.

The module wraps the example's own ``SentimentClassifier`` (the harness puts
modelwire's ``src`` and ``examples`` on Caikit's ``PYTHONPATH``), so both
servers run exactly the same model code and weights and differ only in what
surrounds ``run``. No ``from __future__ import annotations``: Caikit reads the
field types of a data object from its class annotations at runtime.
"""

from pathlib import Path
from typing import Any, Self

from caikit.core import (
    DataObjectBase,
    ModuleBase,
    ModuleConfig,
    TaskBase,
    dataobject,
    module,
    task,
)
from text_sentiment.classifier import SentimentClassifier

#: the ``module_id`` a model folder's config.yml names to load this module
MODULE_ID = "9e4a1d62-7c3b-4f0a-8b25-6d1e0c9f3a57"


@dataobject(package="caikit_sentiment")
class SentimentLabel(DataObjectBase):
    """Sentiment of one text: NEGATIVE or POSITIVE, and its probability."""

    label: str
    confidence: float


@task(unary_parameters={"text": str}, unary_output_type=SentimentLabel)
class SentimentTask(TaskBase):
    """Decide whether a short English text is positive or negative."""


@module(id=MODULE_ID, name="Sentiment", version="1.0.0", task=SentimentTask)
class SentimentModule(ModuleBase):
    """The example's classifier; ``model_folder`` in config.yml names its folder."""

    def __init__(self, classifier: SentimentClassifier) -> None:
        super().__init__()
        self._classifier = classifier

    @classmethod
    def load(cls, model_path: Any, *args: Any, **kwargs: Any) -> Self:
        config = ModuleConfig.load(model_path)
        return cls(SentimentClassifier.load(Path(config.model_folder)))

    def run(self, text: str) -> SentimentLabel:
        result = self._classifier.run(text)
        return SentimentLabel(label=result.label.name, confidence=result.confidence)
