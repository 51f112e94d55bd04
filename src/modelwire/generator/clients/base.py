"""What every client flavour gets, and what it must provide.

A flavour turns one ``ClientContext`` into the files of one package, as a
mapping of relative path to content. Flavours that run a language's own code
generator do so into a temporary folder and read the results back, so a
generation run still writes nothing until every output is ready.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from modelwire.core.schema import ProtoEnum, ProtoFile, ProtoMessage, ProtoService


class ToolchainMissing(RuntimeError):
    """A tool a flavour needs is not installed; the message names the install command."""


@dataclass(frozen=True)
class ClientSettings:
    """Overrides from the command line; None keeps the derived default."""

    name: str | None = None
    version: str | None = None
    go_module: str | None = None


@dataclass(frozen=True)
class ClientContext:
    library: str  # the Python package, e.g. "text_sentiment"
    library_version: str
    proto_package: str  # e.g. "text_sentiment.v1"
    service: ProtoService
    #: every file the library emits, in dependency order
    files: tuple[ProtoFile, ...]
    #: relative path -> .proto text, exactly as written under --out
    proto_sources: dict[str, str]
    settings: ClientSettings = field(default_factory=ClientSettings)

    @property
    def messages(self) -> dict[str, ProtoMessage]:
        return {m.full_name: m for f in self.files for m in f.messages}

    @property
    def enums(self) -> dict[str, ProtoEnum]:
        return {e.full_name: e for f in self.files for e in f.enums}

    @property
    def stem(self) -> str:
        """The package without its version, ``_``-joined: ``text_sentiment``."""
        return "_".join(self.proto_package.split(".")[:-1])


class Flavour(ABC):
    """One client package kind (python, go, typescript...)."""

    name: ClassVar[str]

    def check_toolchain(self) -> None:
        """Raises ``ToolchainMissing`` when a needed tool is absent."""

    @abstractmethod
    def render(self, context: ClientContext) -> dict[str, str | bytes]:
        """Relative path (inside the flavour's folder) -> file content."""


FLAVOURS: dict[str, type[Flavour]] = {}


def register(cls: type[Flavour]) -> type[Flavour]:
    FLAVOURS[cls.name] = cls
    return cls


def flavour(name: str) -> Flavour:
    try:
        return FLAVOURS[name]()
    except KeyError:
        known = ", ".join(sorted(FLAVOURS))
        raise ValueError(f"unknown client flavour {name!r}; choose from {known}") from None


