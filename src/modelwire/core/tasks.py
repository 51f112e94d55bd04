"""``@task``: the inputs and the output of one kind of work, i.e. one RPC."""

from __future__ import annotations

import inspect
import typing
from dataclasses import MISSING, dataclass
from typing import Any, TypeVar

from modelwire.core.errors import SchemaError
from modelwire.core.fields import FieldSpec, check_unique_names, spec_from_annotation
from modelwire.core.types import is_dataobject

T = TypeVar("T")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    inputs: tuple[FieldSpec, ...]
    output: type
    source: str
    py_module: str
    doc: str = ""

    @property
    def request_name(self) -> str:
        return f"{self.name}Request"

    @property
    def response_name(self) -> str:
        return f"{self.name}Response"


def task(*, output: type) -> Any:
    """Declare a task: class annotations are its inputs, ``output`` its result.

    The class name becomes the RPC name, so it should be a verb phrase such as
    ``ClassifySentiment``.
    """

    def wrap(cls: type[T]) -> type[T]:
        from modelwire.core.registry import REGISTRY

        source = f"{cls.__module__}.{cls.__qualname__}"
        if not is_dataobject(output):
            raise SchemaError(
                f"task {source}: output {output!r} must be a @dataobject class"
            )
        if not cls.__name__[:1].isupper() or "_" in cls.__name__:
            raise SchemaError(f"task {source}: the name must be PascalCase")
        spec = TaskSpec(
            name=cls.__name__,
            inputs=_inputs(cls, source),
            output=output,
            source=source,
            py_module=cls.__module__,
            doc=inspect.cleandoc(cls.__doc__ or ""),
        )
        cls.__mw_task__ = spec  # type: ignore[attr-defined]
        REGISTRY.add_task(spec)
        return cls

    return wrap


def _inputs(cls: type, source: str) -> tuple[FieldSpec, ...]:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as exc:
        raise SchemaError(
            f"task {source}: unknown name {exc.name!r} in an input"
        ) from None
    if not hints:
        raise SchemaError(f"task {source} declares no inputs; annotate at least one")
    specs = [
        spec_from_annotation(
            f"task {cls.__name__}", name, hint, default=cls.__dict__.get(name, MISSING)
        )
        for name, hint in hints.items()
    ]
    check_unique_names(cls.__name__, specs)
    return tuple(specs)
