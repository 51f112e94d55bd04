"""The main job as a test: the text-sentiment API generated, served and called over gRPC."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from protoc import compile_python
from text_sentiment.training import build_default_model

from modelwire.generator import generate
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "examples" / "text_sentiment"
CLIENT = ROOT / "examples" / "sentiment_client" / "classify.py"
HELD_OUT = Path(__file__).parent / "data" / "sentiment_heldout.jsonl"
BUF = Path(sys.executable).parent / "buf"


@pytest.fixture(scope="module")
def api_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sentiment_api")
    lock = root / "modelwire.lock.json"
    shutil.copy(LIBRARY / "modelwire.lock.json", lock)
    generate("text_sentiment", root / "proto", lock_path=lock)
    return root


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    models = tmp_path_factory.mktemp("sentiment_models")
    build_default_model(models / "sentiment")
    with create_runtime("text_sentiment", models, ServerSettings(port=0)) as server:
        yield server


def test_committed_lock_matches_the_declarations(api_dir):
    """Generating from the committed lock changes nothing in it."""
    committed = (LIBRARY / "modelwire.lock.json").read_text(encoding="utf-8")
    assert (api_dir / "modelwire.lock.json").read_text(encoding="utf-8") == committed


def test_generated_api_is_buf_lint_clean(api_dir):
    """buf lint (STANDARD) reports nothing on the example's API."""
    result = subprocess.run(
        [str(BUF), "lint"], cwd=api_dir / "proto", capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_held_out_sentences_over_grpc(api_dir, runtime):
    """A stubs-only client classifies the held-out sentences through the runtime."""
    compile_python(api_dir / "proto", api_dir / "stubs")
    rows = [
        json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines()
    ]
    command = [sys.executable, str(CLIENT), "--stubs", str(api_dir / "stubs")]
    command += ["--address", runtime.address, "--model", "sentiment"]
    result = subprocess.run(
        command + [row["text"] for row in rows],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answers = [line.split()[0] for line in result.stdout.splitlines()]
    assert len(answers) == len(rows)
    correct = sum(a == row["label"] for a, row in zip(answers, rows, strict=True))
    assert correct / len(rows) >= 0.9, f"{correct}/{len(rows)} correct over gRPC"
