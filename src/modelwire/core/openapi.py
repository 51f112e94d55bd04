"""An OpenAPI 3.1 document for the HTTP/JSON gateway, from the intermediate form.

Bodies follow protobuf's canonical proto3 JSON mapping, so the schemas here
describe that mapping: int64 as an integer or a decimal string, bytes as
base64, enums by name (numbers accepted), Timestamps as RFC 3339 strings and
Durations as seconds with an ``s`` suffix. The gateway serves this document
and ``modelwire generate`` writes it, both from the same ``ProtoFile`` values.
"""

from __future__ import annotations

from typing import Any

from modelwire.core.schema import (
    ProtoEnum,
    ProtoField,
    ProtoFile,
    ProtoMessage,
    ProtoService,
)
from modelwire.core.types import INT_RANGES

TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"
MODEL_ID_HEADER = "mm-model-id"
ERROR_STATUSES = {
    "400": "Invalid request (INVALID_ARGUMENT)",
    "404": "Unknown model (NOT_FOUND)",
    "429": "A limit was reached (RESOURCE_EXHAUSTED)",
    "500": "The model failed (INTERNAL)",
    "503": "Model not ready (UNAVAILABLE)",
    "504": "Deadline exceeded (DEADLINE_EXCEEDED)",
}


def openapi_path(package: str) -> str:
    """Where the generator writes a library's document, beside its service file."""
    stem = "_".join(package.split(".")[:-1])
    return f"{package.replace('.', '/')}/{stem}_openapi.json"


def http_path(package: str, method: str, *, with_model: bool = True) -> str:
    """The gateway route of one RPC; the model id is part of the path."""
    if with_model:
        return f"/{package}/models/{{model_id}}/{method}"
    return f"/{package}/{method}"


def openapi_document(
    files: list[ProtoFile], library: str, version: str
) -> dict[str, Any]:
    messages = {m.full_name: m for f in files for m in f.messages}
    enums = {e.full_name: e for f in files for e in f.enums}
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    for message in messages.values():
        schemas[_ref_name(message.full_name)] = _message_schema(message, enums)
    paths: dict[str, Any] = {}
    for proto_file in files:
        for service in proto_file.services:
            paths.update(_service_paths(proto_file.package, service))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{library} API",
            "version": version,
            "x-generated-from": library,
            "description": (
                "HTTP/JSON gateway. Bodies use the proto3 JSON mapping; pick "
                f"the model in the path or with the {MODEL_ID_HEADER} header. "
                "Server-streaming methods answer as Server-Sent Events; "
                "client-streaming methods take a JSON array of requests."
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _service_paths(package: str, service: ProtoService) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method in service.methods:
        if not service.model_scoped:
            # Lifecycle calls name their model in the body, if they need one.
            operation = _operation(method, False)
            operation["parameters"] = []
            operation["operationId"] = method.name
            paths[http_path(package, method.name, with_model=False)] = {
                "post": operation
            }
            continue
        for with_model in (True, False):
            operation = _operation(method, with_model)
            paths[http_path(package, method.name, with_model=with_model)] = {
                "post": operation
            }
    return paths


def _operation(method: Any, with_model: bool) -> dict[str, Any]:
    request = {"$ref": f"#/components/schemas/{_ref_name(method.input_type)}"}
    response = {"$ref": f"#/components/schemas/{_ref_name(method.output_type)}"}
    body = {"type": "array", "items": request} if method.client_streaming else request
    if with_model:
        parameter = {"name": "model_id", "in": "path", "required": True}
    else:
        parameter = {"name": MODEL_ID_HEADER, "in": "header", "required": True}
    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 128}
    return {
        "operationId": method.name + ("" if with_model else "ByHeader"),
        "summary": (method.doc.splitlines() or [method.name])[0],
        "description": method.doc,
        "parameters": [parameter],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body}},
        },
        "responses": {
            "200": _success(response, method.server_streaming),
            **{
                code: {
                    "description": text,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}
                        }
                    },
                }
                for code, text in ERROR_STATUSES.items()
            },
        },
    }


def _success(response: dict[str, Any], streaming: bool) -> dict[str, Any]:
    if not streaming:
        return {
            "description": "OK",
            "content": {"application/json": {"schema": response}},
        }
    return {
        "description": (
            "A stream of Server-Sent Events: each `data:` line holds one "
            "response in JSON; a failure part way is an `error` event whose data "
            "is the Error object."
        ),
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer", "description": "gRPC status number"},
                "status": {"type": "string", "description": "gRPC status name"},
                "message": {"type": "string"},
            },
            "required": ["code", "status", "message"],
        }
    },
    "required": ["error"],
}


def _ref_name(full_name: str) -> str:
    return full_name.replace(".", "_")


def _message_schema(
    message: ProtoMessage, enums: dict[str, ProtoEnum]
) -> dict[str, Any]:
    properties = {f.json_name: _field_schema(f, enums) for f in message.fields}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if message.doc:
        schema["description"] = message.doc
    return schema


def _field_schema(f: ProtoField, enums: dict[str, ProtoEnum]) -> dict[str, Any]:
    value = _value_schema(f, enums)
    if f.map_key:
        schema: dict[str, Any] = {"type": "object", "additionalProperties": value}
        if f.map_key != "string":
            schema["propertyNames"] = {"pattern": _MAP_KEY_PATTERNS[f.map_key]}
    elif f.repeated:
        schema = {"type": "array", "items": value}
    else:
        schema = value
    # proto3 JSON reads null as "not set" for every field.
    schema = {"anyOf": [schema, {"type": "null"}]}
    if f.doc:
        schema["description"] = f.doc
    return schema


_MAP_KEY_PATTERNS = {
    **{name: "^-?[0-9]+$" for name in INT_RANGES},
    "bool": "^(true|false)$",
}


def _value_schema(f: ProtoField, enums: dict[str, ProtoEnum]) -> dict[str, Any]:
    if f.type == TIMESTAMP:
        return {"type": "string", "format": "date-time"}
    if f.type == DURATION:
        return {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$"}
    if f.is_message:
        return {"$ref": f"#/components/schemas/{_ref_name(f.type)}"}
    if f.is_enum:
        names = [v.name for v in enums[f.type].values]
        return {"anyOf": [{"type": "string", "enum": names}, {"type": "integer"}]}
    return _scalar_schema(f.type)


def _scalar_schema(scalar: str) -> dict[str, Any]:
    if scalar in INT_RANGES:
        low, high = INT_RANGES[scalar]
        number = {"type": "integer", "minimum": low, "maximum": high}
        if scalar.endswith("32"):
            return number
        return {"anyOf": [number, {"type": "string", "pattern": "^-?[0-9]+$"}]}
    if scalar in ("float", "double"):
        special = {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}
        return {"anyOf": [{"type": "number"}, special]}
    if scalar == "bytes":
        return {"type": "string", "contentEncoding": "base64"}
    if scalar == "bool":
        return {"type": "boolean"}
    return {"type": "string"}
