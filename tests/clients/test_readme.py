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
MVN = ("mvn", "-B", "-q")
#: Shared with the conformance suite's rust builds (ignored by git).
CARGO_TARGET = CLIENTS.parent / "tools" / "cache" / "cargo-target"
#: The smallest project that takes the README's dependency block.
JAVA_APP_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>app</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
{dependency}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.1</version>
      </plugin>
    </plugins>
  </build>
</project>
"""


@pytest.fixture(scope="module")
def sentiment_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    models = tmp_path_factory.mktemp("readme_models")
    build_default_model(models / README_MODEL)
    with create_runtime("text_sentiment", models, ServerSettings(port=0)) as server:
        yield server


def readme_block(flavour: str, language: str, after: str = "## Install") -> str:
    """The first ``language`` code block after the heading ``after``."""
    text = (CLIENTS / flavour / "README.md").read_text(encoding="utf-8")
    section = text[text.index(after) :]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no {language} block in {flavour}/README.md"
    return match.group(1)


def _with_server(snippet: str, server: Runtime) -> str:
    return snippet.replace(README_ADDRESS, server.address)


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
    code = "import text_sentiment\n" + readme_block(
        "python", "python", "## Use"
    ).replace(README_ADDRESS, sentiment_server.address)
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
    snippet = readme_block("typescript", "typescript", "## Use").replace(
        README_ADDRESS, sentiment_server.address
    )
    # The snippet is plain ESM; the package imports itself by name.
    (package / "readme.mjs").write_text(snippet, encoding="utf-8")
    output = _run(["node", "readme.mjs"], package)
    assert re.search(r"label: [12]", output), output
    assert "confidence:" in output


def test_go_readme_classifies_a_sentence(tmp_path, sentiment_server):
    """The README's shell lines build its program against clients/go; it answers."""
    app = tmp_path / "app"
    app.mkdir()
    program = readme_block("go", "go")
    (app / "main.go").write_text(_with_server(program, sentiment_server))
    steps = readme_block("go", "bash").replace("../clients/go", str(CLIENTS / "go"))
    output = _run(["bash", "-euc", steps], app)
    assert re.search(r"label:\s*SENTIMENT_(POSITIVE|NEGATIVE)", output), output
    assert "confidence:" in output


def test_go_package_is_vet_clean():
    """go vet finds nothing in clients/go, lifecycle services included."""
    _run(["go", "vet", "./..."], CLIENTS / "go")


def test_java_readme_classifies_a_sentence(tmp_path, sentiment_server):
    """mvn install clients/java, then a project with the README's dependency answers."""
    package = tmp_path / "java-client"
    shutil.copytree(CLIENTS / "java", package, ignore=shutil.ignore_patterns("target"))
    _run([*MVN, "install", "-DskipTests"], package)
    app = tmp_path / "app"
    source = app / "src" / "main" / "java" / "Main.java"
    source.parent.mkdir(parents=True)
    source.write_text(_with_server(readme_block("java", "java"), sentiment_server))
    dependency = readme_block("java", "xml")
    (app / "pom.xml").write_text(JAVA_APP_POM.format(dependency=dependency))
    classpath = app / "classpath.txt"
    plugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
    _run(
        [
            *MVN,
            "compile",
            f"{plugin}:build-classpath",
            f"-Dmdep.outputFile={classpath}",
        ],
        app,
    )
    java_cp = f"{app / 'target' / 'classes'}:{classpath.read_text().strip()}"
    output = _run(["java", "-cp", java_cp, "Main"], app)
    assert re.search(r"label: SENTIMENT_(POSITIVE|NEGATIVE)", output), output
    assert "confidence:" in output


def test_rust_readme_classifies_a_sentence(tmp_path, sentiment_server):
    """A crate with the README's dependencies and program builds and answers."""
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    dependencies = readme_block("rust", "toml").replace(
        "../clients/rust", str(CLIENTS / "rust")
    )
    manifest = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n'
    (app / "Cargo.toml").write_text(manifest + dependencies)
    program = readme_block("rust", "rust")
    (app / "src" / "main.rs").write_text(_with_server(program, sentiment_server))
    env = {"CARGO_TARGET_DIR": str(CARGO_TARGET)}
    output = _run(["cargo", "run", "--quiet"], app, env)
    assert re.search(r"label: (Positive|Negative)", output), output
    assert "confidence:" in output
