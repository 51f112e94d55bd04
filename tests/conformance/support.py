"""Vectors, results and their comparison, shared by every flavour's driver entry.

A result line is what a flavour's program prints for one vector:
``{"name": ..., "response": {...}}`` or ``{"name": ..., "status": "CODE",
"message": "..."}``. Responses are compared after both sides went through
protobuf's own proto3 JSON parser and printer, so spellings that mean the same
message (``"1"`` or ``1`` for an int64, ``toString`` or its original name, a
zero field printed or left out) compare equal and nothing else does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

HERE = Path(__file__).resolve().parent
#: the folder to put on ``sys.path`` (``--app-dir``) to import ``conflib``
APP_DIR = HERE
LIBRARY = "conflib"
VECTORS_DIR = HERE / "vectors"
PROGRAMS_DIR = HERE / "programs"
PACKAGE = "conformance.v1"
SERVICE = f"{PACKAGE}.ConformanceService"


@dataclass(frozen=True)
class Vector:
    name: str
    task: str
    model: str
    request: dict[str, Any]
    #: the expected response in proto3 JSON, or None when a status is expected
    response: dict[str, Any] | None = None
    status: str | None = None
    #: compared only when the vector gives one
    message: str | None = None


def load_vectors(folder: Path = VECTORS_DIR) -> list[Vector]:
    """Every vector of every ``*.json`` file in ``folder``, in file order."""
    vectors: list[Vector] = []
    for path in sorted(folder.glob("*.json")):
        for raw in json.loads(path.read_text(encoding="utf-8"))["vectors"]:
            vectors.append(Vector(**raw))
    return vectors


def write_vectors_file(vectors: list[Vector], path: Path) -> Path:
    """All vectors as one JSON array: the file every program reads."""
    rows = [
        {k: v for k, v in vars(vector).items() if v is not None} for vector in vectors
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_models(models_dir: Path, models: dict[str, str]) -> Path:
    for model_id, module_id in models.items():
        folder = models_dir / model_id
        folder.mkdir(parents=True)
        (folder / "config.yml").write_text(f"module_id: {module_id}\n")
    return models_dir


def canonical(message_class: type[Message], payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` parsed as ``message_class`` and printed as canonical proto3 JSON."""
    message = json_format.ParseDict(payload, message_class())
    return json_format.MessageToDict(message)


def parse_results(stdout: str) -> dict[str, dict[str, Any]]:
    """Result lines by vector name; lines that are not JSON objects are skipped."""
    results: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["name"]] = row
    return results


def mismatches(
    vectors: list[Vector],
    results: dict[str, dict[str, Any]],
    classes: dict[str, type[Message]],
) -> list[str]:
    """One line per vector whose result differs from what the vector expects."""
    problems = []
    for vector in vectors:
        result = results.get(vector.name)
        problem = (
            "no result"
            if result is None
            else _difference(
                vector, result, classes[f"{PACKAGE}.{vector.task}Response"]
            )
        )
        if problem:
            problems.append(f"{vector.name}: {problem}")
    return problems


def _difference(
    vector: Vector, result: dict[str, Any], response_class: type[Message]
) -> str:
    if vector.status is not None:
        if result.get("status") != vector.status:
            return f"expected status {vector.status}, got {_shown(result)}"
        if vector.message is not None and result.get("message") != vector.message:
            return f"expected message {vector.message!r}, got {result.get('message')!r}"
        return ""
    if "response" not in result:
        return f"expected a response, got {_shown(result)}"
    expected = canonical(response_class, vector.response or {})
    try:
        got = canonical(response_class, result["response"])
    except json_format.ParseError as exc:
        return f"response is not proto3 JSON of {response_class.__name__}: {exc}"
    return "" if got == expected else f"expected {expected}, got {got}"


def _shown(result: dict[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in result.items() if k != "name"}, ensure_ascii=False
    )


def reference_call(
    channel: grpc.Channel, classes: dict[str, type[Message]], vector: Vector
) -> dict[str, Any]:
    """The result line for ``vector``, from a bare channel and the runtime's classes."""
    request_class = classes[f"{PACKAGE}.{vector.task}Request"]
    response_class = classes[f"{PACKAGE}.{vector.task}Response"]
    call = channel.unary_unary(
        f"/{SERVICE}/{vector.task}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_class.FromString,
    )
    request = json_format.ParseDict(vector.request, request_class())
    try:
        response = call(request, metadata=[("mm-model-id", vector.model)], timeout=30)
    except grpc.RpcError as exc:
        return {
            "name": vector.name,
            "status": exc.code().name,
            "message": exc.details(),
        }
    return {"name": vector.name, "response": json_format.MessageToDict(response)}
