"""model_runtime.proto matches ModelMesh's wire contract, name for name, number for number."""

from __future__ import annotations

import pytest
from google.protobuf.descriptor import FieldDescriptor

from modelwire.runtime.modelmesh import messages

F = FieldDescriptor
#: ModelMesh's mmesh.ModelRuntime messages: field -> (number, type, repeated).
WIRE = {
    "LoadModelRequest": {
        "modelId": (1, F.TYPE_STRING),
        "modelType": (2, F.TYPE_STRING),
        "modelPath": (3, F.TYPE_STRING),
        "modelKey": (4, F.TYPE_STRING),
    },
    "LoadModelResponse": {
        "sizeInBytes": (1, F.TYPE_UINT64),
        "maxConcurrency": (2, F.TYPE_UINT32),
    },
    "UnloadModelRequest": {"modelId": (1, F.TYPE_STRING)},
    "UnloadModelResponse": {},
    "PredictModelSizeRequest": {
        "modelId": (1, F.TYPE_STRING),
        "modelType": (2, F.TYPE_STRING),
        "modelPath": (3, F.TYPE_STRING),
        "modelKey": (4, F.TYPE_STRING),
    },
    "PredictModelSizeResponse": {"sizeInBytes": (1, F.TYPE_UINT64)},
    "ModelSizeRequest": {"modelId": (1, F.TYPE_STRING)},
    "ModelSizeResponse": {"sizeInBytes": (1, F.TYPE_UINT64)},
    "RuntimeStatusRequest": {},
    "RuntimeStatusResponse": {
        "status": (1, F.TYPE_ENUM),
        "capacityInBytes": (2, F.TYPE_UINT64),
        "maxLoadingConcurrency": (3, F.TYPE_UINT32),
        "modelLoadingTimeoutMs": (4, F.TYPE_UINT32),
        "defaultModelSizeInBytes": (5, F.TYPE_UINT64),
        "runtimeVersion": (6, F.TYPE_STRING),
        "numericRuntimeVersion": (7, F.TYPE_UINT64),
        "methodInfos": (8, F.TYPE_MESSAGE),
        "limitModelConcurrency": (9, F.TYPE_BOOL),
        "allowAnyMethod": (10, F.TYPE_BOOL),
    },
}
RPCS = {
    "loadModel": ("LoadModelRequest", "LoadModelResponse"),
    "unloadModel": ("UnloadModelRequest", "UnloadModelResponse"),
    "predictModelSize": ("PredictModelSizeRequest", "PredictModelSizeResponse"),
    "modelSize": ("ModelSizeRequest", "ModelSizeResponse"),
    "runtimeStatus": ("RuntimeStatusRequest", "RuntimeStatusResponse"),
}


@pytest.mark.parametrize("message", sorted(WIRE))
def test_message_fields_match_modelmesh(message):
    """Every message has exactly ModelMesh's fields, numbers and types."""
    descriptor = messages()[message].DESCRIPTOR
    assert descriptor.full_name == f"mmesh.{message}"
    found = {f.name: (f.number, f.type) for f in descriptor.fields}
    assert found == WIRE[message]


def test_service_has_modelmesh_rpcs():
    """Service mmesh.ModelRuntime with its five unary RPCs."""
    file = messages()["LoadModelRequest"].DESCRIPTOR.file
    service = file.services_by_name["ModelRuntime"]
    assert service.full_name == "mmesh.ModelRuntime"
    found = {m.name: (m.input_type.name, m.output_type.name) for m in service.methods}
    assert found == RPCS
    assert not any(m.client_streaming or m.server_streaming for m in service.methods)


def test_status_enum_and_method_info_match_modelmesh():
    """Status STARTING=0, READY=1, FAILING=2; methodInfos maps names to idInjectionPath."""
    response = messages()["RuntimeStatusResponse"].DESCRIPTOR
    status = response.enum_types_by_name["Status"]
    assert {v.name: v.number for v in status.values} == {
        "STARTING": 0,
        "READY": 1,
        "FAILING": 2,
    }
    entry = response.fields_by_name["methodInfos"].message_type
    assert entry.GetOptions().map_entry
    assert entry.fields_by_name["key"].type == F.TYPE_STRING
    info = entry.fields_by_name["value"].message_type
    assert info.full_name == "mmesh.RuntimeStatusResponse.MethodInfo"
    path = info.fields_by_name["idInjectionPath"]
    assert (path.number, path.type, path.is_repeated) == (1, F.TYPE_UINT32, True)
