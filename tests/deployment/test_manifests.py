"""deploy/'s KServe manifests: valid against KServe's and Kubernetes' schemas, and consistent."""

from __future__ import annotations

import copy
import ipaddress
import re
import tomllib
from typing import Any

import pytest

from deployment import schemas
from deployment.support import (
    REPO,
    dockerfile_stages,
    endpoint_port,
    last,
    manifest,
    quantity_bytes,
    serve_params,
)

RESOURCES = {
    "servingruntime.yaml": ("serving.kserve.io/v1alpha1", "ServingRuntime"),
    "inferenceservice.yaml": ("serving.kserve.io/v1beta1", "InferenceService"),
}
SDK_ROOT = {
    "ServingRuntime": "V1alpha1ServingRuntime",
    "InferenceService": "V1beta1InferenceService",
}


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_manifest_is_valid_against_the_schemas(name):
    """The resource matches the KServe SDK's types and Kubernetes' own schemas."""
    document = manifest(name)
    assert (document["apiVersion"], document["kind"]) == RESOURCES[name]
    assert schemas.errors(document, SDK_ROOT[document["kind"]]) == []


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, key = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[key] = value


@pytest.mark.parametrize(
    ("name", "path", "value", "error"),
    [
        ("servingruntime.yaml", "spec.multimodel", True, "'multimodel' was unexpected"),
        ("servingruntime.yaml", "spec.grpcEndpoint", 8085, "is not of type 'string'"),
        ("servingruntime.yaml", "spec.containers", None, "is not of type 'array'"),
        (
            "servingruntime.yaml",
            "spec.containers.0.resources.limits.memory",
            [3],
            "not valid under any of the given schemas",
        ),
        (
            "servingruntime.yaml",
            "spec.containers.0.securityContext.runAsUser",
            "app",
            "is not of type 'integer'",
        ),
        (
            "inferenceservice.yaml",
            "spec.predictor.model.storage.bucket",
            "b",
            "'bucket' was unexpected",
        ),
        ("inferenceservice.yaml", "metadata.labels", ["a"], "is not of type 'object'"),
    ],
)
def test_schema_validation_catches_mistakes(name, path, value, error):
    """A misspelt KServe field or a wrong Kubernetes type is reported where it is."""
    document = copy.deepcopy(manifest(name))
    _set(document, path, value)
    found = schemas.errors(document, SDK_ROOT[document["kind"]])
    assert any(error in line for line in found), found


def test_kserve_types_left_open_are_exactly_the_known_ones():
    """Only the types that the pinned SDK leaves undefined escape validation."""
    sdk = schemas.sdk_classes()
    named = {
        word
        for sdk_class in sdk.values()
        for type_name in sdk_class.types.values()
        for word in re.findall(r"\w+", type_name)
    }
    undefined = {
        name
        for name in named
        if name not in sdk
        and name not in schemas._SCALARS
        and schemas._kubernetes_ref(name) is None
        and name not in ("list", "dict")
    }
    assert undefined == schemas.OPEN_TYPES


def _container() -> dict[str, Any]:
    containers = manifest("servingruntime.yaml")["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _container_serve_params() -> dict[str, Any]:
    entrypoint = list(last(dockerfile_stages()[-1], "ENTRYPOINT").value)
    return serve_params(entrypoint + _container()["args"])


def test_serving_runtime_is_a_modelmesh_runtime():
    """multiModel, one gRPC port for both endpoints, and the runtime listening on it."""
    spec = manifest("servingruntime.yaml")["spec"]
    params = _container_serve_params()
    assert spec["multiModel"] is True
    assert params["modelmesh"] is True and params["http"] is False
    port = endpoint_port(spec["grpcEndpoint"])
    assert endpoint_port(spec["grpcDataEndpoint"]) == port == params["port"]
    # Only ModelMesh, in the same pod, should reach the management API.
    host = params["host"]
    assert host == "localhost" or ipaddress.ip_address(host).is_loopback


def test_capacity_stays_below_the_container_memory():
    """The memory offered to ModelMesh leaves room for the runtime itself."""
    resources = _container()["resources"]
    limit = quantity_bytes(resources["limits"]["memory"])
    capacity = _container_serve_params()["modelmesh_capacity"]
    assert 0 < capacity < limit
    assert quantity_bytes(resources["requests"]["memory"]) <= limit


def test_container_runs_as_the_image_user():
    """runAsNonRoot can hold: the pod's user is the image's non-root USER."""
    context = _container()["securityContext"]
    user = last(dockerfile_stages()[-1], "USER").value[0].split(":")[0]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == int(user) != 0
    assert context["allowPrivilegeEscalation"] is False


def test_image_tag_is_the_project_version():
    """The manifest names the image that deploy/README.md tells how to build."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    image = _container()["image"]
    assert image == f"modelwire-runtime:{project['project']['version']}"
    assert f"-t {image} " in (REPO / "deploy" / "README.md").read_text()


def test_inference_service_uses_the_serving_runtime():
    """The example goes through ModelMesh to this runtime and one of its formats."""
    runtime = manifest("servingruntime.yaml")
    service = manifest("inferenceservice.yaml")
    annotations = service["metadata"]["annotations"]
    assert annotations["serving.kserve.io/deploymentMode"] == "ModelMesh"
    model = service["spec"]["predictor"]["model"]
    assert model["runtime"] == runtime["metadata"]["name"]
    formats = runtime["spec"]["supportedModelFormats"]
    assert model["modelFormat"] in [
        {"name": f["name"], "version": f["version"]} for f in formats
    ]
    # The format is named after the library that the container serves.
    assert model["modelFormat"]["name"] == _container()["args"][0]
