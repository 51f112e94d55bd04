"""The conformance library: every supported field type, echoed or transformed.

Every client flavour calls these tasks through its generated client and must
produce exactly the responses recorded in ``tests/conformance/vectors``. The
modules are deterministic, so one vector holds for every flavour. Its proto
package is ``conformance.v1``; the model ids are listed in ``MODELS``.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional, Union

import modelwire as mw

mw.declare_library(__name__, "conformance.v1")

#: model id -> module id, one model folder each
MODELS = {
    "scalars": "conflib.scalars",
    "presence": "conflib.presence",
    "containers": "conflib.containers",
    "choice": "conflib.choice",
    "time": "conflib.time",
    "node": "conflib.node",
    "names": "conflib.names",
    "fail": "conflib.fail",
}


class Color(enum.Enum):
    """A plain enum; its values are the proto numbers."""

    RED = 1
    GREEN = 2
    BLUE = 3


class Kind(enum.Enum):
    """Members whose generated names shadow JavaScript object properties (C11)."""

    CONSTRUCTOR = 1
    TO_STRING = 2
    VALUE_OF = 3
    PROTO = 4


@mw.dataobject
class Scalars:
    """One field of every scalar width."""

    text: str
    blob: bytes
    flag: bool
    i32: mw.int32
    i64: int
    u32: mw.uint32
    u64: mw.uint64
    s32: mw.sint32
    s64: mw.sint64
    f32: mw.fixed32
    f64: mw.fixed64
    sf32: mw.sfixed32
    sf64: mw.sfixed64
    single: mw.float32
    double: float


@mw.task(output=Scalars)
class EchoScalars:
    """Send every scalar back unchanged."""

    text: str
    blob: bytes
    flag: bool
    i32: mw.int32
    i64: int
    u32: mw.uint32
    u64: mw.uint64
    s32: mw.sint32
    s64: mw.sint64
    f32: mw.fixed32
    f64: mw.fixed64
    sf32: mw.sfixed32
    sf64: mw.sfixed64
    single: mw.float32
    double: float


@mw.dataobject
class Presence:
    """Optional fields echoed, and what run() received, spelled out."""

    received: str
    count: Optional[int] = None
    flag: Optional[bool] = None
    label: Optional[str] = None
    ratio: Optional[float] = None
    color: Optional[Color] = None
    limit: int = 5


@mw.task(output=Presence)
class EchoPresence:
    """Report which optional inputs were set, telling unset from zero."""

    count: Optional[int] = None
    flag: Optional[bool] = None
    label: Optional[str] = None
    ratio: Optional[float] = None
    color: Optional[Color] = None
    limit: int = 5


@mw.dataobject
class Item:
    """A small nested message."""

    name: str
    weight: int = 0
    color: Color = Color.RED


@mw.dataobject
class Containers:
    """Repeated fields and maps of scalars, enums and messages."""

    tags: list[str]
    numbers: list[int]
    colors: list[Color]
    items: list[Item]
    blobs: list[bytes]
    scores: dict[str, float]
    names_by_id: dict[int, str]
    by_code: dict[mw.uint32, Item]
    flags: dict[bool, str]
    colors_by_name: dict[str, Color]
    total: int = 0


@mw.task(output=Containers)
class EchoContainers:
    """Send the containers back, with ``total`` the sum of ``numbers``."""

    tags: list[str]
    numbers: list[int]
    colors: list[Color]
    items: list[Item]
    blobs: list[bytes]
    scores: dict[str, float]
    names_by_id: dict[int, str]
    by_code: dict[mw.uint32, Item]
    flags: dict[bool, str]
    colors_by_name: dict[str, Color]


Value = Union[
    Annotated[bool, mw.Branch("as_bool")],
    Annotated[int, mw.Branch("as_int")],
    Annotated[str, mw.Branch("as_text")],
    Annotated[float, mw.Branch("as_double")],
    Annotated[Item, mw.Branch("as_item")],
]


@mw.dataobject
class Choice:
    """A oneof whose branches may hold their zero value (C13)."""

    branch: str
    value: Value = False


@mw.task(output=Choice)
class EchoChoice:
    """Send the chosen branch back and name the Python type run() received."""

    value: Value


@mw.dataobject
class Times:
    """Instants and spans, single and repeated (C15, C16)."""

    at: datetime
    took: timedelta
    events: list[datetime]
    spans: list[timedelta]
    at_text: str
    deadline: Optional[datetime] = None


@mw.task(output=Times)
class EchoTimes:
    """Send the times back; ``at_text`` is ``at`` as run() saw it, in ISO 8601."""

    at: datetime
    took: timedelta
    events: list[datetime]
    spans: list[timedelta]
    deadline: Optional[datetime] = None


@mw.dataobject
class Origin:
    """Where a node came from; its names clash with Java methods too.

    modelwire data objects cannot refer to themselves, so ``Node.from`` is
    typed with this twin instead of ``Node``.
    """

    descriptor: str = ""
    all_fields: bool = False
    class_: str = ""


@mw.dataobject
class Node:
    """Names that clash with methods of generated Java classes (C10)."""

    from_: Optional[Origin] = None
    descriptor: str = ""
    all_fields: bool = False
    class_: str = ""


@mw.task(output=Node)
class WrapNode:
    """Wrap the node in a new one whose ``from`` is the input."""

    node: Node
    class_: str


@mw.dataobject
class Names:
    """Names that shadow JavaScript object properties (C11)."""

    constructor: str
    toString: str  # the wire name under test
    valueOf: int
    kind: Kind
    kinds: list[Kind]
    proto: str = ""


@mw.task(output=Names)
class EchoNames:
    """Send the names back; ``proto`` is ``constructor`` and ``toString`` joined."""

    constructor: str
    toString: str
    valueOf: int
    kind: Kind
    kinds: list[Kind]


@mw.dataobject
class Outcome:
    """Never returned: every call of the failing module fails."""

    text: str


@mw.task(output=Outcome)
class Fail:
    """Fail with the status named by ``kind``: value, call:<CODE> or crash."""

    kind: str
    message: str


class _Stateless(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: Path) -> _Stateless:
        return cls()


@mw.module(id="conflib.scalars", name="Scalars", version="1.0.0", task=EchoScalars)
class ScalarEcho(_Stateless):
    def run(
        self,
        text: str,
        blob: bytes,
        flag: bool,
        i32: mw.int32,
        i64: int,
        u32: mw.uint32,
        u64: mw.uint64,
        s32: mw.sint32,
        s64: mw.sint64,
        f32: mw.fixed32,
        f64: mw.fixed64,
        sf32: mw.sfixed32,
        sf64: mw.sfixed64,
        single: mw.float32,
        double: float,
    ) -> Scalars:
        return Scalars(
            text,
            blob,
            flag,
            i32,
            i64,
            u32,
            u64,
            s32,
            s64,
            f32,
            f64,
            sf32,
            sf64,
            single,
            double,
        )


@mw.module(id="conflib.presence", name="Presence", version="1.0.0", task=EchoPresence)
class PresenceEcho(_Stateless):
    def run(
        self,
        count: Optional[int] = None,
        flag: Optional[bool] = None,
        label: Optional[str] = None,
        ratio: Optional[float] = None,
        color: Optional[Color] = None,
        limit: int = 5,
    ) -> Presence:
        shown = color.name if color is not None else None
        received = (
            f"count={count!r} flag={flag!r} label={label!r} ratio={ratio!r} "
            f"color={shown} limit={limit!r}"
        )
        return Presence(received, count, flag, label, ratio, color, limit)


@mw.module(
    id="conflib.containers", name="Containers", version="1.0.0", task=EchoContainers
)
class ContainerEcho(_Stateless):
    def run(
        self,
        tags: list[str],
        numbers: list[int],
        colors: list[Color],
        items: list[Item],
        blobs: list[bytes],
        scores: dict[str, float],
        names_by_id: dict[int, str],
        by_code: dict[mw.uint32, Item],
        flags: dict[bool, str],
        colors_by_name: dict[str, Color],
    ) -> Containers:
        return Containers(
            tags,
            numbers,
            colors,
            items,
            blobs,
            scores,
            names_by_id,
            by_code,
            flags,
            colors_by_name,
            total=sum(numbers),
        )


@mw.module(id="conflib.choice", name="Choice", version="1.0.0", task=EchoChoice)
class ChoiceEcho(_Stateless):
    def run(self, value: Value) -> Choice:
        return Choice(type(value).__name__, value)


@mw.module(id="conflib.time", name="Times", version="1.0.0", task=EchoTimes)
class TimesEcho(_Stateless):
    def run(
        self,
        at: datetime,
        took: timedelta,
        events: list[datetime],
        spans: list[timedelta],
        deadline: Optional[datetime] = None,
    ) -> Times:
        return Times(at, took, events, spans, at.isoformat(), deadline)


@mw.module(id="conflib.node", name="Node", version="1.0.0", task=WrapNode)
class NodeWrapper(_Stateless):
    def run(self, node: Node, class_: str) -> Node:
        origin = Origin(node.descriptor, node.all_fields, node.class_)
        return Node(
            from_=origin,
            descriptor=node.descriptor.upper(),
            all_fields=not node.all_fields,
            class_=class_,
        )


@mw.module(id="conflib.names", name="Names", version="1.0.0", task=EchoNames)
class NamesEcho(_Stateless):
    def run(
        self,
        constructor: str,
        toString: str,
        valueOf: int,
        kind: Kind,
        kinds: list[Kind],
    ) -> Names:
        joined = f"{constructor}/{toString}"
        return Names(constructor, toString, valueOf, kind, kinds, proto=joined)


@mw.module(id="conflib.fail", name="Fail", version="1.0.0", task=Fail)
class Failing(_Stateless):
    def run(self, kind: str, message: str) -> Outcome:
        if kind == "value":
            raise ValueError(message)
        if kind.startswith("call:"):
            raise mw.CallError(kind.removeprefix("call:"), message)
        raise RuntimeError(f"crash: {message}")
