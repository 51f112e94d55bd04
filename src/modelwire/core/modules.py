"""``ModuleBase`` and ``@module``: how to load, run, save and train a model for a task."""

from __future__ import annotations

import inspect
import typing
from dataclasses import MISSING, dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from modelwire.core.errors import SchemaError
from modelwire.core.fields import FieldSpec, spec_from_annotation
from modelwire.core.tasks import TaskSpec
from modelwire.core.training import TrainingSpec, training_spec
from modelwire.core.types import stream_element

M = TypeVar("M", bound="ModuleBase")


class ModuleBase:
    """Base class of every module.

    Subclasses implement ``load`` (a classmethod returning a ready instance)
    and ``run``; ``save``, ``train`` and ``run_batch`` are optional.
    """

    #: Most calls of ``run`` the runtime makes at once per model (None: no
    #: limit). A model that already keeps every core busy should say 1.
    concurrency: int | None = None

    @classmethod
    def load(cls, model_path: Path) -> Self:
        raise NotImplementedError

    def run(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def save(self, model_path: Path) -> dict[str, Any] | None:
        """Write the model's files into ``model_path``.

        Returns extra settings for the model's ``config.yml`` (or None);
        ``modelwire.save_model`` adds the module id and version itself.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement save()")


@dataclass(frozen=True)
class ModuleSpec:
    id: str
    name: str
    version: str
    task: TaskSpec
    cls: type[ModuleBase]
    #: ``run`` parameters that are not task inputs; each has a default
    params: tuple[FieldSpec, ...]
    source: str
    #: the train RPC, when the class defines ``train()``
    training: TrainingSpec | None = None

    @property
    def py_module(self) -> str:
        return self.cls.__module__

    def accepts(self, py_name: str) -> bool:
        return any(p.py_name == py_name for p in self.params)

    @property
    def batchable(self) -> bool:
        """Unary tasks whose module implements ``run_batch`` can be batched."""
        return self.task.unary and callable(getattr(self.cls, "run_batch", None))


def module(*, id: str, name: str, version: str, task: type) -> Any:
    """Register a ``ModuleBase`` subclass as the implementation of ``task``."""

    def wrap(cls: type[M]) -> type[M]:
        from modelwire.core.registry import REGISTRY

        spec = _module_spec(cls, id, name, version, task)
        cls.__mw_module__ = spec  # type: ignore[attr-defined]
        REGISTRY.add_module(spec)
        return cls

    return wrap


def _module_spec(
    cls: type, id_: str, name: str, version: str, task: type
) -> ModuleSpec:
    source = f"{cls.__module__}.{cls.__qualname__}"
    where = f"module {source} (id {id_!r})"
    task_spec = getattr(task, "__mw_task__", None)
    if task_spec is None:
        raise SchemaError(f"{where}: task={task!r} is not a @task class")
    if not (isinstance(cls, type) and issubclass(cls, ModuleBase)):
        raise SchemaError(f"{where}: the class must subclass modelwire.ModuleBase")
    if not id_ or not isinstance(id_, str):
        raise SchemaError(f"{where}: id must be a non-empty string")
    for method in ("load", "run"):
        if getattr(cls, method) is getattr(ModuleBase, method):
            raise SchemaError(f"{where}: the class must implement {method}()")
    params = _run_params(cls, task_spec, where)
    _check_run_batch(cls, where)
    training = training_spec(cls, where)
    return ModuleSpec(id_, name, version, task_spec, cls, params, source, training)


def _check_run_batch(cls: type, where: str) -> None:
    """run_batch gets run's parameters as lists, so it must use the same names."""
    run_batch = getattr(cls, "run_batch", None)
    if run_batch is None:
        return
    names = _parameter_names(cls.run)
    batch_names = _parameter_names(run_batch)
    if batch_names != names:
        raise SchemaError(
            f"{where}: run_batch() takes {sorted(batch_names)} but run() takes "
            f"{sorted(names)}; run_batch receives each run() parameter as a list "
            "under the same name"
        )


def _parameter_names(function: Any) -> set[str]:
    parameters = inspect.signature(function).parameters
    return {name for name in parameters if name != "self"}


def _run_params(cls: type, task: TaskSpec, where: str) -> tuple[FieldSpec, ...]:
    signature = inspect.signature(cls.run)
    try:
        hints = typing.get_type_hints(cls.run, include_extras=True)
    except NameError as exc:
        raise SchemaError(
            f"{where}: run() refers to unknown name {exc.name!r}"
        ) from None
    _check_return(hints.get("return"), task, where)

    params = [p for p in signature.parameters.values() if p.name != "self"]
    inputs = {i.py_name: i for i in task.inputs}
    extras: list[FieldSpec] = []
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise SchemaError(
                f"{where}: run() may not take *{param.name}; every parameter "
                "must be named so that it can become a request field"
            )
        if param.name not in hints:
            raise SchemaError(
                f"{where}: run() parameter {param.name!r} needs a type annotation"
            )
        hint = _stream_hint(param.name, hints[param.name], task, where)
        spec = _param_spec(cls, param, hint, where)
        if param.name in inputs:
            _check_input(spec, inputs[param.name], task, where)
        elif param.default is param.empty:
            raise SchemaError(
                f"{where}: run() parameter {param.name!r} is not an input of task "
                f"{task.name} and has no default; give it a default (it then "
                "becomes an optional request field) or add it to the task"
            )
        else:
            extras.append(spec)
    missing = [name for name in inputs if name not in {p.name for p in params}]
    if missing:
        raise SchemaError(
            f"{where}: run() lacks the task {task.name} input(s) {', '.join(missing)}"
        )
    return tuple(extras)


def _stream_hint(name: str, hint: Any, task: TaskSpec, where: str) -> Any:
    """The element type of the streamed input; other hints pass through."""
    element = stream_element(hint)
    if name == task.stream_input:
        if element is None:
            raise SchemaError(
                f"{where}: run() parameter {name!r} must be typed Iterator[...] "
                f"because task {task.name} streams it"
            )
        return element
    if element is not None:
        raise SchemaError(
            f"{where}: run() parameter {name!r} is typed as a stream but task "
            f"{task.name} does not stream it"
        )
    return hint


def _param_spec(
    cls: type, param: inspect.Parameter, hint: Any, where: str
) -> FieldSpec:
    default = MISSING if param.default is param.empty else param.default
    try:
        return spec_from_annotation(cls.__name__, param.name, hint, default=default)
    except SchemaError as exc:
        raise SchemaError(f"{where}: run() parameter {param.name!r}: {exc}") from None


def _check_input(
    spec: FieldSpec, expected: FieldSpec, task: TaskSpec, where: str
) -> None:
    if spec.shape != expected.shape:
        raise SchemaError(
            f"{where}: run() parameter {spec.py_name!r} is {spec.shape.label} but "
            f"task {task.name} declares it as {expected.shape.label}"
        )


def _check_return(annotation: Any, task: TaskSpec, where: str) -> None:
    if annotation is None:
        return
    element = stream_element(annotation)
    if task.output_stream and element is None:
        raise SchemaError(
            f"{where}: task {task.name} streams its output, so run() must be a "
            f"generator typed Iterator[{task.output.__name__}]"
        )
    if not task.output_stream and element is not None:
        raise SchemaError(
            f"{where}: run() yields a stream but task {task.name} returns one "
            f"{task.output.__name__}; declare the task with output=Iterator[...]"
        )
    if (element or annotation) is not task.output:
        raise SchemaError(
            f"{where}: run() returns {annotation!r} but task {task.name} outputs "
            f"{task.output.__name__}"
        )
