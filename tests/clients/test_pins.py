"""The versions the flavours pin agree with what scripts/setup-clients.sh installs."""

from __future__ import annotations

import json
from pathlib import Path

from modelwire.generator.clients import go, python_betterproto, typescript

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def test_node_tools_match_the_typescript_pins():
    """tools/package.json installs exactly the versions the typescript flavour expects."""
    manifest = json.loads((TOOLS / "package.json").read_text(encoding="utf-8"))
    assert manifest["devDependencies"] == typescript.PINS


def test_python_tools_match_the_betterproto_pins():
    """tools/requirements-clients.txt pins the betterproto2 versions of the flavour."""
    lines = (
        (TOOLS / "requirements-clients.txt").read_text(encoding="utf-8").splitlines()
    )
    pins = sorted(line for line in lines if line and not line.startswith("#"))
    assert pins == [
        f"betterproto2-compiler=={python_betterproto.BETTERPROTO2_COMPILER}",
        f"betterproto2[grpcio,grpclib]=={python_betterproto.BETTERPROTO2}",
    ]


def test_node_lock_file_pins_the_same_versions():
    """tools/package-lock.json resolves every pinned package to its pinned version."""
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in typescript.PINS.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_go_plugins_match_the_go_pins():
    """tools/go-plugins.txt installs the protoc plugin versions the go flavour expects."""
    lines = (TOOLS / "go-plugins.txt").read_text(encoding="utf-8").splitlines()
    targets = sorted(line for line in lines if line and not line.startswith("#"))
    assert targets == sorted(target for _, target in go._PLUGINS.values())
