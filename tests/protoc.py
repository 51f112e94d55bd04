"""Compiling emitted .proto files with grpc_tools, the way a client team would."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import grpc_tools
from grpc_tools import protoc

WELL_KNOWN_INCLUDE = Path(grpc_tools.__file__).parent / "_proto"


def compile_python(proto_root: Path, out: Path) -> None:
    """Python messages, .pyi stubs and gRPC stubs for every .proto under ``proto_root``."""
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(
        p.relative_to(proto_root).as_posix() for p in proto_root.rglob("*.proto")
    )
    args = [
        "protoc",
        f"-I{proto_root}",
        f"-I{WELL_KNOWN_INCLUDE}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {files}")


def import_stub(out: Path, module: str) -> ModuleType:
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    return importlib.import_module(module)
