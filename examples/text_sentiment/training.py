"""Reading labelled texts and building the library's default model."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from modelwire import save_model
from text_sentiment.classifier import SentimentClassifier
from text_sentiment.data_model import LabelledText, Sentiment

logger = logging.getLogger(__name__)

#: The training sentences shipped with the library.
TRAIN_DATA = Path(__file__).with_name("train_data.jsonl")


def read_examples(path: Path) -> list[LabelledText]:
    """Labelled texts from a JSON Lines file of ``{"text": ..., "label": ...}``.

    ``label`` is ``POSITIVE`` or ``NEGATIVE``; blank lines are skipped. A bad
    row raises ``ValueError`` naming the file and the line number.
    """
    path = Path(path)
    examples: list[LabelledText] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                examples.append(_parse_row(line, f"{path}, line {number}"))
    return examples


def _parse_row(line: str, where: str) -> LabelledText:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected an object with 'text' and 'label'")
    text, label = row.get("text"), row.get("label")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(label, str) or label.upper() not in Sentiment.__members__:
        names = " or ".join(Sentiment.__members__)
        raise ValueError(f"{where}: 'label' must be {names}, got {label!r}")
    return LabelledText(text=text, label=Sentiment[label.upper()])


def build_default_model(model_path: Path, data_path: Path = TRAIN_DATA) -> Path:
    """Trains on the shipped sentences and saves the model folder at ``model_path``."""
    examples = read_examples(data_path)
    classifier = SentimentClassifier.train(examples)
    target = save_model(classifier, Path(model_path))
    logger.info("saved the default sentiment model to %s", target)
    return target
