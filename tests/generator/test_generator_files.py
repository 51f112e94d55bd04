"""Output folder upkeep: stale files, other files, repeated runs in one process."""

from __future__ import annotations

import sys

import pytest

from generator.support import generate, install, snapshot
from modelwire.generator import generate as generate_here

LOCK = "app/showcase/modelwire.lock.json"
HAND_WRITTEN = 'syntax = "proto3";\n\npackage notes.v1;\n\nmessage Note {}\n'


def test_stale_files_go_other_files_stay(tmp_path):
    """Files shrink stopped producing vanish; hand-written and alpha's files stay."""
    app, out = tmp_path / "app", tmp_path / "out"
    install("shrink_v1", app)
    generate(app, "shrink", out)
    assert {
        "shrink/v1/shrink_service.proto",
        "shrink/extra/v1/shrink_extra_types.proto",
    } <= set(snapshot(out))
    for relative in ("notes/v1/notes.proto", "shrink/v1/hand.proto"):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(HAND_WRITTEN)
    install("alpha", app)
    generate(app, "alpha", out)
    install("shrink_v2", app)
    proc = generate(app, "shrink", out)
    assert sorted(snapshot(out)) == [
        "alpha/v1/alpha_openapi.json",
        "alpha/v1/alpha_service.proto",
        "alpha/v1/alpha_types.proto",
        "buf.yaml",
        "notes/v1/notes.proto",
        "shrink/v1/hand.proto",
        "shrink/v1/shrink_types.proto",
    ]
    assert (out / "shrink/v1/hand.proto").read_text() == HAND_WRITTEN
    assert "removed" in proc.stdout
    assert not (out / "shrink/extra").exists()


def _forget(package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
        del sys.modules[name]


@pytest.mark.parametrize("reimport", [False, True], ids=["cached", "reimported"])
def test_generate_twice_in_one_process(tmp_path, in_process, reimport):
    """Two in-process runs (nested objects, shared by two modules) give equal bytes."""
    app = tmp_path / "app"
    install("showcase", app)
    in_process(app, "showcase", import_now=False)
    first = generate_here("showcase", tmp_path / "one", app_dir=app)
    if reimport:
        _forget("showcase")
    generate_here("showcase", tmp_path / "two", app_dir=app)
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    # three .proto files, buf.yaml and the OpenAPI document
    assert len(first.written) == 5


def test_in_process_run_matches_command_line(tmp_path, in_process):
    """modelwire.generator.generate writes what `modelwire generate` writes."""
    for name in ("here", "cli"):
        install("showcase", tmp_path / name / "app")
    in_process(tmp_path / "here/app", "showcase", import_now=False)
    generate_here("showcase", tmp_path / "here/out", app_dir=tmp_path / "here/app")
    generate(tmp_path / "cli/app", "showcase", tmp_path / "cli/out")
    here, cli = (
        (snapshot(tmp_path / n / "out"), (tmp_path / n / LOCK).read_bytes())
        for n in ("here", "cli")
    )
    assert here == cli
