"""Running the generator, protoc, buf and Python the way a user's shell would.

Each library version is imported by a fresh ``modelwire generate`` process,
because one process cannot hold two versions of the same class.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2

LIBS = Path(__file__).parent / "libs"
BIN = Path(sys.executable).parent
MODELWIRE = BIN / "modelwire"
BUF = BIN / "buf"
TIMEOUT = 120


def install(fixture: str, app: Path) -> list[str]:
    """Copy the packages of ``LIBS/fixture`` into ``app``; a lock already there stays.

    Returns the package names, which are the fixture folder's subfolders.
    """
    source = LIBS / fixture
    shutil.copytree(
        source,
        app,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "modelwire.lock.json"),
    )
    return sorted(p.name for p in source.iterdir() if p.is_dir())


def child_env(**extra: str) -> dict[str, str]:
    # Fixture versions are copied over each other within one second and may have
    # equal sizes, so a cached .pyc could shadow the new source.
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    env.update(extra)
    return env


def generate(
    app: Path,
    library: str,
    out: Path,
    *args: str,
    check: bool = True,
    hash_seed: str = "0",
) -> subprocess.CompletedProcess[str]:
    """``modelwire generate LIBRARY --out OUT --app-dir APP [ARGS]`` in a child."""
    command = [MODELWIRE, "generate", library, "--out", out, "--app-dir", app, *args]
    proc = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        env=child_env(PYTHONHASHSEED=hash_seed),
        timeout=TIMEOUT,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def proto_paths(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.proto"))


def protoc(root: Path, *flags: str) -> None:
    """``python -m grpc_tools.protoc`` over every .proto under ``root``."""
    command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", *flags]
    proc = subprocess.run(
        [*command, *proto_paths(root)],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr


def compile_python(root: Path, py_out: Path) -> Path:
    py_out.mkdir(parents=True, exist_ok=True)
    protoc(root, f"--python_out={py_out}", f"--grpc_python_out={py_out}")
    return py_out


def descriptor_set(
    root: Path, target: Path
) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """protoc's descriptors of every file under ``root`` (and imports), by path."""
    protoc(root, f"--descriptor_set_out={target}", "--include_imports")
    files = descriptor_pb2.FileDescriptorSet.FromString(target.read_bytes()).file
    return {f.name: f for f in files}


def buf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BUF), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_env(),
        timeout=TIMEOUT,
    )


def run_python(code: str, *path: Path) -> str:
    """Run ``code`` in a fresh interpreter with ``path`` first; return its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=child_env(PYTHONPATH=os.pathsep.join(str(p) for p in path)),
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def message_block(proto_text: str, name: str) -> str:
    """The body of ``message NAME { ... }`` (messages here are never nested)."""
    match = re.search(rf"^message {name} {{\n(.*?)^}}", proto_text, re.M | re.S)
    assert match is not None, f"no message {name}"
    return match.group(1)


def field_numbers(proto_text: str, message: str) -> dict[str, int]:
    """Field name -> number of one message, read from .proto text."""
    body = message_block(proto_text, message)
    return {
        m["name"]: int(m["number"])
        for m in re.finditer(r"(?P<name>\w+) = (?P<number>\d+);", body)
    }
