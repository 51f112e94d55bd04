"""``@task``: the inputs and the output of one kind of work, i.e. one RPC."""

from __future__ import annotations

import inspect
import typing
from dataclasses import MISSING, dataclass
from typing import Any, TypeVar

from modelwire.core.errors import SchemaError
from modelwire.core.fields import FieldSpec, check_unique_names, spec_from_annotation
from modelwire.core.types import is_dataobject, stream_element

T = TypeVar("T")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    inputs: tuple[FieldSpec, ...]
    output: type
    source: str
    py_module: str
    doc: str = ""
    #: py_name of the input that arrives as a stream of messages, if any
    stream_input: str | None = None
    #: run() yields outputs instead of returning one
    output_stream: bool = False

    @property
    def client_streaming(self) -> bool:
        return self.stream_input is not None

    @property
    def unary(self) -> bool:
        return self.stream_input is None and not self.output_stream

    @property
    def request_name(self) -> str:
        return f"{self.name}Request"

    @property
    def response_name(self) -> str:
        return f"{self.name}Response"


def task(*, output: Any) -> Any:
    """Declare a task: class annotations are its inputs, ``output`` its result.

    The class name becomes the RPC name, so it should be a verb phrase such as
    ``ClassifySentiment``. ``output=Iterator[X]`` makes ``run`` a generator
    (server streaming); one input typed ``Iterator[T]`` arrives as a stream of
    request messages (client streaming); both together stream both ways.
    """

    def wrap(cls: type[T]) -> type[T]:
        from modelwire.core.registry import REGISTRY

        source = f"{cls.__module__}.{cls.__qualname__}"
        element = stream_element(output)
        output_type = output if element is None else element
        if not is_dataobject(output_type):
            raise SchemaError(
                f"task {source}: output {output!r} must be a @dataobject class "
                "or Iterator[<a @dataobject class>]"
            )
        if not cls.__name__[:1].isupper() or "_" in cls.__name__:
            raise SchemaError(f"task {source}: the name must be PascalCase")
        inputs, stream_input = _inputs(cls, source)
        spec = TaskSpec(
            name=cls.__name__,
            inputs=inputs,
            output=output_type,
            source=source,
            py_module=cls.__module__,
            doc=inspect.cleandoc(cls.__doc__ or ""),
            stream_input=stream_input,
            output_stream=element is not None,
        )
        cls.__mw_task__ = spec  # type: ignore[attr-defined]
        REGISTRY.add_task(spec)
        return cls

    return wrap


def _inputs(cls: type, source: str) -> tuple[tuple[FieldSpec, ...], str | None]:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as exc:
        raise SchemaError(
            f"task {source}: unknown name {exc.name!r} in an input"
        ) from None
    if not hints:
        raise SchemaError(f"task {source} declares no inputs; annotate at least one")
    streams = [name for name, hint in hints.items() if stream_element(hint) is not None]
    if len(streams) > 1:
        raise SchemaError(
            f"task {source}: inputs {', '.join(streams)} are all streams; a task "
            "takes at most one streamed input"
        )
    specs = [
        spec_from_annotation(
            f"task {cls.__name__}",
            name,
            stream_element(hint) or hint,
            default=cls.__dict__.get(name, MISSING),
        )
        for name, hint in hints.items()
    ]
    check_unique_names(cls.__name__, specs)
    return tuple(specs), (streams[0] if streams else None)
