"""Conformance program of the python flavour: vectors in, one JSON line per vector out.

Usage: run.py ADDRESS VECTORS_FILE. Each request is parsed from proto3 JSON,
turned into the Python values a user would pass (datetimes, timedeltas,
lists, dicts) and sent through ``ConformanceClient``.
"""

from __future__ import annotations

import datetime
import json
import keyword
import re
import sys
from typing import Any

import conformance_client
from conformance_client.proto.conformance.v1 import conformance_service_pb2
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

_OPTIONS = {"model_id", "timeout", "metadata", "self"}


def method_name(task: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", task).lower()


def argument_name(name: str) -> str:
    return f"{name}_" if keyword.iskeyword(name) or name in _OPTIONS else name


def python_value(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        return {k: single(value_field, v) for k, v in value.items()}
    if field.is_repeated:
        return [single(field, item) for item in value]
    return single(field, value)


def single(field: FieldDescriptor, value: Any) -> Any:
    name = field.message_type.full_name if field.message_type else ""
    if name == "google.protobuf.Timestamp":
        return value.ToDatetime(tzinfo=datetime.UTC)
    if name == "google.protobuf.Duration":
        return value.ToTimedelta()
    return value


def arguments(request: Message) -> dict[str, Any]:
    return {
        argument_name(field.name): python_value(field, value)
        for field, value in request.ListFields()
    }


def run(client: conformance_client.ConformanceClient, vector: dict) -> dict:
    request_class = getattr(conformance_service_pb2, f"{vector['task']}Request")
    request = json_format.ParseDict(vector["request"], request_class())
    method = getattr(client, method_name(vector["task"]))
    try:
        response = method(**arguments(request), model_id=vector["model"], timeout=10)
    except conformance_client.ClientError as error:
        return {
            "name": vector["name"],
            "status": error.code.name,
            "message": error.message,
        }
    return {"name": vector["name"], "response": conformance_client.to_dict(response)}


def main() -> None:
    address, vectors_file = sys.argv[1:3]
    with open(vectors_file, encoding="utf-8") as handle:
        vectors = json.load(handle)
    with conformance_client.ConformanceClient(address) as client:
        for vector in vectors:
            print(json.dumps(run(client, vector), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
