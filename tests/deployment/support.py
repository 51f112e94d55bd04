"""Reading deploy/: the manifests, the Dockerfile, and `modelwire serve` argument lists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dockerfile
import yaml
from typer.main import get_command

from modelwire.cli import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REPO = DEPLOY.parent
_QUANTITY_SUFFIXES = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def manifest(name: str) -> dict[str, Any]:
    documents = list(yaml.safe_load_all((DEPLOY / name).read_text(encoding="utf-8")))
    assert len(documents) == 1, f"{name} should hold one resource"
    return documents[0]


def dockerfile_stages() -> list[list[dockerfile.Command]]:
    """The Dockerfile's instructions, one list per FROM."""
    stages: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(DEPLOY / "Dockerfile")):
        if command.cmd == "FROM":
            stages.append([])
        stages[-1].append(command)
    return stages


def last(stage: list[dockerfile.Command], instruction: str) -> dockerfile.Command:
    found = [c for c in stage if c.cmd == instruction]
    assert found, f"the final stage has no {instruction}"
    return found[-1]


def serve_params(argv: list[str]) -> dict[str, Any]:
    """Parses ``modelwire serve ...`` the way the CLI would, without running it."""
    assert argv[:2] == ["modelwire", "serve"], f"{argv} does not run modelwire serve"
    command = get_command(app).commands["serve"]  # type: ignore[attr-defined]
    with command.make_context("serve", list(argv[2:])) as context:
        return dict(context.params)


def quantity_bytes(quantity: str | int) -> int:
    """A Kubernetes memory quantity ("3Gi", "512M", "1073741824") in bytes."""
    found = re.fullmatch(r"(\d+)([A-Za-z]*)", str(quantity))
    assert found and found.group(2) in _QUANTITY_SUFFIXES, f"quantity {quantity!r}"
    return int(found.group(1)) * _QUANTITY_SUFFIXES[found.group(2)]


def endpoint_port(endpoint: str) -> int:
    found = re.fullmatch(r"port:(\d+)", endpoint)
    assert found, f"endpoint {endpoint!r} is not port:<number>"
    return int(found.group(1))
