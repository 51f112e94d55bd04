"""``modelwire train``: the same training from the command line, with a progress bar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelwire import read_config

MODELWIRE = Path(sys.executable).parent / "modelwire"
TESTS = Path(__file__).parents[2]


def train(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(MODELWIRE), "train", "trainlib", *args, "--app-dir", str(TESTS)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("moods.csv", "text,mood\nsun,HAPPY\nrain,SAD\n"),
        (
            "moods.jsonl",
            '{"text": "sun", "mood": "HAPPY"}\n{"text": "rain", "mood": "SAD"}\n',
        ),
    ],
)
def test_train_command_saves_a_loadable_model(tmp_path, name, content):
    """Trains from a CSV or JSON Lines file, shows progress, saves a model folder."""
    (tmp_path / name).write_text(content, encoding="utf-8")
    result = train(
        tmp_path, "Memo", "--data", name, "--out", "model", "--param", "note=cli"
    )
    assert result.returncode == 0, result.stderr
    assert "saved the model to model" in result.stdout
    assert "━" in result.stdout  # the progress bar
    assert read_config(tmp_path / "model").module_id == "trainlib.memo"
    saved = json.loads((tmp_path / "model" / "moods.json").read_text())
    assert saved == {"moods": {"sun": "HAPPY", "rain": "SAD"}, "note": "cli"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nobody", "--data", "d.csv"], "no trainable module 'Nobody'"),
        (["Memo", "--data", "d.csv", "--param", "nope=1"], "NAME one of note"),
        (["Memo", "--data", "d.csv", "--param", "rounds=abc"], "rounds"),
    ],
)
def test_train_command_refuses_bad_arguments(tmp_path, args, message):
    """An unknown module or parameter, or a bad value, exits 2 naming it."""
    (tmp_path / "d.csv").write_text("text,mood\nsun,HAPPY\n", encoding="utf-8")
    result = train(tmp_path, *args, "--out", "model")
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "model").exists()


def test_train_command_reports_a_failing_train(tmp_path):
    """train() raising exits 1 with its reason and leaves no model folder."""
    rows = "".join(f"ok{i},HAPPY\n" for i in range(6)) + "bad,SAD\n"
    (tmp_path / "d.csv").write_text("text,mood\n" + rows, encoding="utf-8")
    result = train(tmp_path, "Memo", "--data", "d.csv", "--out", "model")
    assert result.returncode == 1
    assert "bad labels in row 7" in result.stderr
    assert not (tmp_path / "model").exists()
