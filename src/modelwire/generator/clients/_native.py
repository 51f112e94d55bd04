"""Helpers shared by the flavours that build with another language's toolchain.

The Go, Java and Rust flavours each lay out a package for that language's own
build tool; what they share is small: pinned tool versions, formatting a
rendered file in place, and turning the intermediate form into view-model
pieces (doc lines, example values) that their templates only lay out.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from modelwire.core.schema import ProtoField, ProtoMessage
from modelwire.generator.clients.base import (
    ClientContext,
    ToolchainMissing,
    find_tool,
    run_tool,
)

#: The model id the READMEs' examples send; the text says to use your own.
EXAMPLE_MODEL_ID = "my-model"
#: Where ``modelwire serve`` listens unless told otherwise.
EXAMPLE_ADDRESS = "localhost:8085"


def doc_lines(doc: str) -> list[str]:
    """A docstring as lines without trailing blanks; empty when there is none."""
    return [line.rstrip() for line in doc.strip().splitlines()] if doc else []


def snake_case(name: str) -> str:
    """``ClassifySentiment`` -> ``classify_sentiment``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def lower_camel(name: str) -> str:
    """``ClassifySentiment`` -> ``classifySentiment``."""
    return name[:1].lower() + name[1:]


def short_name(full_name: str) -> str:
    return full_name.rsplit(".", 1)[-1]


def other_services(context: ClientContext) -> list[str]:
    """Services beside the task service (training, model management), by name.

    The packages compile them, but the convenience client wraps tasks only;
    the READMEs point to their generated stubs.
    """
    return [s.name for s in context.services if s != context.service]


def example_fields(message: ProtoMessage) -> list[ProtoField]:
    """The fields a README example sets: singular, non-oneof strings.

    Other fields keep their zero value in the example; a string is the one type
    every language spells the same way and every task input tends to have.
    """
    return [
        f
        for f in message.fields
        if f.type == "string" and not (f.repeated or f.map_key or f.oneof)
    ]


def require_tool(name: str, install: str, env_var: str | None = None) -> Path:
    """The executable ``name``, or ``ToolchainMissing`` naming ``install``."""
    found = find_tool(name, env_var)
    if found is None:
        raise ToolchainMissing(f"{name} is not installed; install it with: {install}")
    return found


def tool_output(args: list[str | Path]) -> str:
    """What a version query prints; empty when the tool cannot run."""
    try:
        result = subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return (result.stdout + result.stderr).strip()


def format_text(text: str, suffix: str, formatter: list[str | Path]) -> str:
    """``text`` after ``formatter`` rewrote it in place as a file ending in ``suffix``."""
    with tempfile.TemporaryDirectory(prefix="modelwire-format-") as tmp:
        path = Path(tmp) / f"file{suffix}"
        path.write_text(text, encoding="utf-8")
        run_tool([*formatter, path])
        return path.read_text(encoding="utf-8")
