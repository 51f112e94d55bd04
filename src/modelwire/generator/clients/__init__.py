"""Client packages, one flavour per language, rendered from the intermediate form."""

from modelwire.generator.clients.base import (
    FLAVOURS,
    ClientContext,
    ClientSettings,
    Flavour,
    ToolchainMissing,
    flavour,
    register,
)

__all__ = [
    "FLAVOURS",
    "ClientContext",
    "ClientSettings",
    "Flavour",
    "ToolchainMissing",
    "flavour",
    "register",
]
