"""Conformance program of the python-betterproto flavour: run.py ADDRESS VECTORS_FILE.

Each request is parsed from proto3 JSON into its betterproto2 dataclass and
sent through ``ConformanceClient`` (grpcio) as named arguments; the same call
through ``AsyncConformanceClient`` (grpclib) must give the same result, or
the program fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import sys
from typing import Any

import betterproto2
import conformance_client_betterproto as client_package
from conformance_client_betterproto.proto.conformance import v1

_OPTIONS = {"model_id", "timeout", "metadata", "self"}


def method_name(task: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", task).lower()


def bool_keys(message: Any) -> Any:
    """Turns "true"/"false" map keys into booleans, nested messages included.

    betterproto2 0.10.0's ``from_dict`` keeps the JSON text of ``map<bool, _>``
    keys, and serialising such a map then fails; the client itself is fine.
    """
    for field in dataclasses.fields(message):
        meta = betterproto2.FieldMetadata.get(field)
        value = getattr(message, field.name)
        if meta.map_meta and meta.map_meta[0].proto_type == betterproto2.TYPE_BOOL:
            setattr(
                message, field.name, {k in (True, "true"): v for k, v in value.items()}
            )
        elif isinstance(value, betterproto2.Message):
            bool_keys(value)
    return message


def arguments(vector: dict) -> dict[str, Any]:
    request_class = getattr(v1, f"{vector['task']}Request")
    request = bool_keys(request_class.from_dict(vector["request"]))
    return {
        (f"{f.name}_" if f.name in _OPTIONS else f.name): getattr(request, f.name)
        for f in dataclasses.fields(request)
    }


def outcome(vector: dict, response: Any = None, error: Any = None) -> dict:
    if error is not None:
        return {
            "name": vector["name"],
            "status": error.code.name,
            "message": error.message,
        }
    return {"name": vector["name"], "response": response.to_dict()}


def run_sync(client: client_package.ConformanceClient, vector: dict) -> dict:
    method = getattr(client, method_name(vector["task"]))
    try:
        response = method(**arguments(vector), model_id=vector["model"], timeout=10)
    except client_package.ClientError as error:
        return outcome(vector, error=error)
    return outcome(vector, response)


async def run_async(address: str, vectors: list[dict]) -> list[dict]:
    results = []
    async with client_package.AsyncConformanceClient(address) as client:
        for vector in vectors:
            method = getattr(client, method_name(vector["task"]))
            try:
                response = await method(
                    **arguments(vector), model_id=vector["model"], timeout=10
                )
            except client_package.ClientError as error:
                results.append(outcome(vector, error=error))
            else:
                results.append(outcome(vector, response))
    return results


def main() -> None:
    address, vectors_file = sys.argv[1:3]
    with open(vectors_file, encoding="utf-8") as handle:
        vectors = json.load(handle)
    with client_package.ConformanceClient(address) as client:
        results = [run_sync(client, vector) for vector in vectors]
    for result in results:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    differ = [
        (a, b)
        for a, b in zip(results, asyncio.run(run_async(address, vectors)), strict=True)
        if a != b
    ]
    for sync_result, async_result in differ:
        print(f"async differs: {sync_result} != {async_result}", file=sys.stderr)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
