"""JSON Schemas for the deploy/ manifests, built from pinned registry packages.

Kubernetes' own types come from the JSON schemas that kubernetes-validate
ships. KServe publishes the shape of its resources in its Python SDK (the
``kserve`` package): one generated class per type, with ``openapi_types``
(attribute -> type), ``attribute_map`` (attribute -> JSON key) and setters
that refuse ``None`` for required attributes. The SDK pins protobuf below 7,
so it is not installed beside modelwire: ``scripts/setup.sh`` downloads its
wheel and this module reads those classes with ``ast``, never importing them,
and writes each as a closed JSON Schema object whose Kubernetes types refer to
kubernetes-validate's definitions.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

KUBERNETES_VERSION = "1.36.0"
K8S_DEFINITIONS = "https://kubernetes.io/api/_definitions.json"
KSERVE_WHEELS = Path(sys.prefix) / "share" / "kserve-sdk"
_SCALARS = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string"},
    "date": {"type": "string"},
    "object": {},
}
#: SDK type names that are Kubernetes types under another spelling.
_K8S_ALIASES = {"ResourceQuantity": "io.k8s.apimachinery.pkg.api.resource.Quantity"}
#: Types that kserve 0.21.0 names without defining them, and other projects'
#: types (KEDA, Knative): any value is accepted there. None of them is on a
#: path that the deploy manifests use; a new SDK pin that adds one fails loudly.
OPEN_TYPES = frozenset(
    {
        "GithubComKedacoreKedaV2ApisKedaV1alpha1ScaleTriggers",
        "KnativeDevServingPkgApisServingV1TrafficTarget",
        "V1alpha1LLMInferenceServiceSpec",
        "V1alpha1LLMInferenceServiceStatus",
        "V1alpha1LocalModelCacheStatus",
        "V1alpha1LocalModelInfo",
        "V1alpha1LocalModelNodeGroupStatus",
        "V1alpha1LocalModelNodeStatus",
        "V1alpha1TrainedModelStatus",
        "V1alpha1WorkerSpec",
        "V1alpha2LLMInferenceServiceSpec",
        "V1alpha2LLMInferenceServiceStatus",
        "V1beta1MetricQuantity",
    }
)


@dataclass(frozen=True)
class SdkClass:
    name: str
    types: dict[str, str]  # attribute -> SDK type string
    json_keys: dict[str, str]  # attribute -> JSON key
    required: frozenset[str]


def kserve_wheel() -> Path:
    wheels = sorted(KSERVE_WHEELS.glob("kserve-*.whl"))
    if len(wheels) != 1:
        raise FileNotFoundError(
            f"expected one kserve wheel in {KSERVE_WHEELS}, found {len(wheels)}: "
            "run `bash scripts/setup.sh`, which downloads it"
        )
    return wheels[0]


@cache
def sdk_classes() -> dict[str, SdkClass]:
    """Every model class of the KServe SDK, read from its wheel."""
    classes: dict[str, SdkClass] = {}
    with zipfile.ZipFile(kserve_wheel()) as wheel:
        for name in wheel.namelist():
            if name.startswith("kserve/models/") and name.endswith(".py"):
                tree = ast.parse(wheel.read(name).decode("utf-8"))
                classes.update((c.name, c) for c in _read_classes(tree))
    return classes


def _read_classes(tree: ast.Module) -> list[SdkClass]:
    found = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        assigned = {
            stmt.targets[0].id: stmt.value
            for stmt in node.body
            if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
        }
        if "openapi_types" not in assigned:
            continue
        types = ast.literal_eval(assigned["openapi_types"])
        keys = ast.literal_eval(assigned["attribute_map"])
        found.append(SdkClass(node.name, types, keys, _required(node)))
    return found


def _required(node: ast.ClassDef) -> frozenset[str]:
    """Attributes whose setter refuses None (the generator's required check)."""
    required = set()
    for item in node.body:
        if not isinstance(item, ast.FunctionDef) or len(item.args.args) != 2:
            continue
        source = ast.unparse(item)
        if f"{item.name} is None" in source and "must not be `None`" in source:
            required.add(item.name)
    return frozenset(required)


@cache
def kubernetes_definitions() -> dict[str, Any]:
    folder = f"v{KUBERNETES_VERSION}-local-strict"
    path = resources.files("kubernetes_validate").joinpath(
        "kubernetes-json-schema", folder, "_definitions.json"
    )
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _kubernetes_names() -> dict[str, str]:
    """Client-style names (``V1Container``) -> definition keys."""
    names: dict[str, list[str]] = {}
    for key in kubernetes_definitions()["$defs"]:
        *_, version, kind = key.split(".")
        names.setdefault(version[:1].upper() + version[1:] + kind, []).append(key)
    return {name: keys[0] for name, keys in names.items() if len(keys) == 1}


def _kubernetes_ref(type_name: str) -> dict[str, Any] | None:
    key = _K8S_ALIASES.get(type_name) or _kubernetes_names().get(type_name)
    spelled = re.fullmatch(r"K8sIoApi([A-Z][a-z]+)(V\d\w*?)([A-Z]\w+)", type_name)
    if key is None and spelled:
        group, version, kind = spelled.groups()
        key = f"io.k8s.api.{group.lower()}.{version.lower()}.{kind}"
    return {"$ref": f"{K8S_DEFINITIONS}#/$defs/{key}"} if key else None


def _type_schema(type_name: str, needed: set[str]) -> dict[str, Any]:
    if type_name in _SCALARS:
        return _SCALARS[type_name]
    listed = re.fullmatch(r"list\[(.+)\]", type_name)
    if listed:
        return {"type": "array", "items": _type_schema(listed.group(1), needed)}
    mapped = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if mapped:
        values = _type_schema(mapped.group(1), needed)
        return {"type": "object", "additionalProperties": values}
    if type_name in sdk_classes():
        needed.add(type_name)
        return {"$ref": f"#/$defs/{type_name}"}
    kubernetes = _kubernetes_ref(type_name)
    if kubernetes is not None:
        return kubernetes
    if type_name in OPEN_TYPES:
        return {}
    raise KeyError(f"no schema for the KServe SDK type {type_name!r}")


def _object_schema(sdk_class: SdkClass, needed: set[str]) -> dict[str, Any]:
    properties = {
        sdk_class.json_keys[attr]: _type_schema(type_name, needed)
        for attr, type_name in sdk_class.types.items()
    }
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(sdk_class.json_keys[a] for a in sdk_class.required),
        "additionalProperties": False,
    }


@cache
def resource_schema(root: str) -> dict[str, Any]:
    """A JSON Schema for the SDK class ``root`` and every type it reaches."""
    defs: dict[str, Any] = {}
    pending = {root}
    while pending:
        name = pending.pop()
        needed: set[str] = set()
        defs[name] = _object_schema(sdk_classes()[name], needed)
        pending |= needed - defs.keys()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/$defs/{root}",
        "$defs": defs,
    }


def validator(root: str) -> jsonschema.Draft202012Validator:
    definitions = referencing.Resource.from_contents(
        kubernetes_definitions(), referencing.jsonschema.DRAFT202012
    )
    registry = referencing.Registry().with_resource(K8S_DEFINITIONS, definitions)
    return jsonschema.Draft202012Validator(resource_schema(root), registry=registry)


def errors(document: dict[str, Any], root: str) -> list[str]:
    """Every schema violation of ``document``, as 'path: message' lines."""
    found = validator(root).iter_errors(document)
    return sorted(
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in found
    )
