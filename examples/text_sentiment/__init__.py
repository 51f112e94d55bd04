"""Text sentiment: an example modelwire library.

Importing the package registers its data objects, the ``ClassifySentiment``
task and the ``text_sentiment.encoder_head`` module.
"""

from text_sentiment import classifier, data_model, training
from text_sentiment.classifier import SentimentClassifier
from text_sentiment.data_model import (
    ClassifySentiment,
    LabelledText,
    Sentiment,
    SentimentResult,
)

__all__ = [
    "ClassifySentiment",
    "LabelledText",
    "Sentiment",
    "SentimentClassifier",
    "SentimentResult",
    "classifier",
    "data_model",
    "training",
]
