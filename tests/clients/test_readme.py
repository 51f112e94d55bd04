"""The checked-in clients' README lines work: install, build, classify a sentence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from text_sentiment.training import build_default_model

from clients.regenerate import CLIENTS
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime

README_ADDRESS = "localhost:8085"
README_MODEL = "my-model"


@pytest.fixture(scope="module")
def sentiment_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    models = tmp_path_factory.mktemp("readme_models")
    build_default_model(models / README_MODEL)
    with create_runtime("text_sentiment", models, ServerSettings(port=0)) as server:
        yield server


def readme_block(flavour: str, language: str) -> str:
    """The first ``language`` code block under the README's "Use" heading."""
    text = (CLIENTS / flavour / "README.md").read_text(encoding="utf-8")
    use = text[text.index("## Use") :]
    match = re.search(rf"```{language}\n(.*?)```", use, re.DOTALL)
    assert match is not None, f"no {language} block in {flavour}/README.md"
    return match.group(1)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_python_readme_classifies_a_sentence(tmp_path, sentiment_server):
    """pip install clients/python, then the README's lines get a sentiment label.

    The snippet runs beside the text_sentiment library itself, whose proto
    package name the stubs must not collide with.
    """
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    _run(
        [*pip, "--no-build-isolation", "--target", str(site), "clients/python"],
        CLIENTS.parent,
    )
    code = "import text_sentiment\n" + readme_block("python", "python").replace(
        README_ADDRESS, sentiment_server.address
    )
    examples = CLIENTS.parent / "examples"
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(examples)])}
    output = _run([sys.executable, "-c", code], tmp_path, env)
    assert re.search(r"label: SENTIMENT_(POSITIVE|NEGATIVE)", output), output
    assert "confidence:" in output


def test_typescript_readme_classifies_a_sentence(tmp_path, sentiment_server):
    """npm install and build clients/typescript, then the README's lines answer."""
    package = tmp_path / "typescript"
    shutil.copytree(
        CLIENTS / "typescript",
        package,
        ignore=shutil.ignore_patterns("node_modules", "dist"),
    )
    npm = ["npm", "install", "--prefer-offline", "--no-audit", "--no-fund"]
    _run([*npm, "--loglevel=error"], package)
    _run(["npm", "run", "build"], package)
    snippet = readme_block("typescript", "typescript").replace(
        README_ADDRESS, sentiment_server.address
    )
    # The snippet is plain ESM; the package imports itself by name.
    (package / "readme.mjs").write_text(snippet, encoding="utf-8")
    output = _run(["node", "readme.mjs"], package)
    assert re.search(r"label: [12]", output), output
    assert "confidence:" in output
