"""Training in this process: the worker's core, and ``modelwire train``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from modelwire.core.build import Built
from modelwire.core.lifecycle import TrainMethodInfo
from modelwire.core.modules import ModuleSpec
from modelwire.core.training import ProgressSink, progress_sink

_TEXT_TYPES = (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)


def train_model(
    spec: ModuleSpec,
    examples: Sequence[Any],
    params: dict[str, Any],
    progress: ProgressSink,
) -> Any:
    """Calls ``spec``'s ``train()`` and checks that it returned the trained model."""
    with progress_sink(progress):
        instance = spec.cls.train(examples, **params)
    if not isinstance(instance, spec.cls):
        raise TypeError(
            f"{spec.cls.__name__}.train() returned {type(instance).__name__}, not a "
            f"{spec.cls.__name__}; train() must return the trained model"
        )
    return instance


def find_train_method(built: Built, library: str, module: str) -> TrainMethodInfo:
    """The train RPC of ``module`` (a module id or class name) in ``library``."""
    trainers = [
        method
        for service in built.services_of(library)
        if service.lifecycle is not None
        for method in service.lifecycle.train_methods
    ]
    for method in trainers:
        if module in (method.module.id, method.module.cls.__name__):
            return method
    names = ", ".join(m.module.id for m in trainers) or "none"
    raise ValueError(
        f"library {library!r} has no trainable module {module!r}; modules that "
        f"define train(): {names}"
    )


def parse_params(
    method: TrainMethodInfo, built: Built, assignments: Sequence[str]
) -> dict[str, Any]:
    """``NAME=VALUE`` settings of ``train()`` parameters, checked like a train request.

    Values are JSON (``3``, ``0.5``, ``true``, ``"text"``); anything that is not
    valid JSON is taken as a string.
    """
    spec = method.module.training
    assert spec is not None
    by_name = {p.py_name: p for p in spec.params} | {
        p.proto_name: p for p in spec.params
    }
    request = built.message_classes[method.request_type]()
    fields = request.DESCRIPTOR.fields_by_name
    values: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        if not sep or name not in by_name:
            known = ", ".join(p.py_name for p in spec.params) or "none"
            raise ValueError(
                f"--param {assignment!r}: expected NAME=VALUE with NAME one of {known}"
            )
        proto_name = by_name[name].proto_name
        values[proto_name] = _value(raw, fields[proto_name])
    try:
        json_format.ParseDict(values, request)
    except json_format.ParseError as exc:
        raise ValueError(f"--param: {exc}") from None
    decoded = method.request_codec.decode_message(request)
    return {p.py_name: decoded[p.py_name] for p in spec.params if p.py_name in decoded}


def _value(raw: str, field: FieldDescriptor) -> Any:
    if field.type in _TEXT_TYPES:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def train_to_folder(
    method: TrainMethodInfo,
    data_file: Path,
    out: Path,
    params: dict[str, Any],
    progress: ProgressSink,
) -> Path:
    """Trains on a JSON Lines or CSV file and saves the model at ``out`` atomically."""
    from modelwire.core.model_dir import save_model
    from modelwire.runtime.training.data import read_examples

    spec = method.module
    assert spec.training is not None
    examples = read_examples(data_file, spec.training.data_type)
    instance = train_model(spec, examples, params, progress)
    return save_model(instance, out)
