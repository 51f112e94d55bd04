"""The sentiment head trained through the train RPC meets the held-out accuracy bar."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from protoc import compile_python
from text_sentiment.training import TRAIN_DATA

from modelwire.generator import generate
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "examples" / "sentiment_client"
HELD_OUT = Path(__file__).parent / "data" / "sentiment_heldout.jsonl"
#: The same bar as for the model trained in-process (test_text_sentiment_model).
ACCURACY_BAR = 0.9


@pytest.fixture(scope="module")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sentiment_training_api")
    lock = root / "modelwire.lock.json"
    shutil.copy(ROOT / "examples" / "text_sentiment" / "modelwire.lock.json", lock)
    generate("text_sentiment", root / "proto", lock_path=lock)
    compile_python(root / "proto", root / "stubs")
    return root / "stubs"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    models = tmp_path_factory.mktemp("sentiment_trained_models")
    with create_runtime("text_sentiment", models, ServerSettings(port=0)) as server:
        yield server


def _client(script: str, stubs: Path, runtime: Runtime, *args: str) -> str:
    command = [sys.executable, str(CLIENTS / script), "--stubs", str(stubs)]
    command += ["--address", runtime.address, *args]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_model_trained_over_grpc_meets_the_accuracy_bar(stubs, runtime):
    """A stubs-only client trains over gRPC, then classifies the held-out set."""
    log = _client(
        "train.py", stubs, runtime, "--model", "trained", "--examples", str(TRAIN_DATA)
    )
    assert "training COMPLETED" in log
    assert "embedded" in log  # progress the module reported reached the client
    assert (runtime.store.record("trained").path / "config.yml").is_file()

    rows = [json.loads(line) for line in HELD_OUT.read_text("utf-8").splitlines()]
    answers = _client(
        "classify.py", stubs, runtime, "--model", "trained", *[r["text"] for r in rows]
    ).splitlines()
    labels = [line.split()[0] for line in answers]
    assert len(labels) == len(rows)
    correct = sum(a == r["label"] for a, r in zip(labels, rows, strict=True))
    assert correct / len(rows) >= ACCURACY_BAR, f"{correct}/{len(rows)} correct"
