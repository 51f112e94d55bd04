"""The field-number lock across releases of one library (field case C07)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.support import (
    buf,
    compile_python,
    field_numbers,
    generate,
    install,
    message_block,
    run_python,
    snapshot,
)

TYPES = "evolve/v1/evolve_types.proto"
SERVICE = "evolve/v1/evolve_service.proto"


def release(tmp_path: Path, *fixtures: str) -> list[Path]:
    """Generate each fixture version in turn over one app folder (one lock).

    Returns the output folder of every step.
    """
    app = tmp_path / "app"
    outs = []
    for step, fixture in enumerate(fixtures):
        install(fixture, app)
        outs.append(tmp_path / f"out{step}")
        generate(app, "evolve", outs[-1])
    return outs


def thing(out: Path) -> dict[str, int]:
    return field_numbers((out / TYPES).read_text(), "Thing")


def test_inserted_field_takes_a_fresh_number(tmp_path):
    """Inserting c between a and b keeps a=1, b=2 and gives c the next number."""
    v1, v2 = release(tmp_path, "evolve_v1", "evolve_v2")
    assert thing(v1) == {"a": 1, "b": 2}
    assert thing(v2) == {"a": 1, "c": 3, "b": 2}


def test_removed_field_is_reserved_and_never_reused(tmp_path):
    """Removing a reserves its number and name; a later field d does not reuse 1."""
    *_, v3, v4 = release(tmp_path, "evolve_v1", "evolve_v2", "evolve_v3", "evolve_v4")
    assert thing(v3) == {"c": 3, "b": 2}
    assert thing(v4) == {"c": 3, "b": 2, "d": 4}
    for out in (v3, v4):
        for path, message in ((TYPES, "Thing"), (SERVICE, "MakeResponse")):
            body = message_block((out / path).read_text(), message)
            assert body.startswith('  reserved 1;\n  reserved "a";\n')
    lock = json.loads((tmp_path / "app/evolve/modelwire.lock.json").read_text())
    assert lock["types"]["evolve.v1.Thing"]["reserved"] == [{"number": 1, "name": "a"}]


def test_v1_client_decodes_v2_reply(tmp_path):
    """Bytes built with v2's protoc classes parse with v1's: shared fields agree."""
    v1, v2 = release(tmp_path, "evolve_v1", "evolve_v2")
    py1 = compile_python(v1, tmp_path / "py1")
    py2 = compile_python(v2, tmp_path / "py2")
    encode = (
        "from evolve.v1 import evolve_service_pb2 as s\n"
        "reply = s.MakeResponse(a='hello', c=2.5, b=-42)\n"
        "print(reply.SerializeToString().hex())\n"
    )
    data = run_python(encode, py2).strip()
    decode = (
        "from evolve.v1 import evolve_service_pb2 as s\n"
        f"reply = s.MakeResponse.FromString(bytes.fromhex({data!r}))\n"
        "print(reply.a, reply.b)\n"
    )
    assert run_python(decode, py1).split() == ["hello", "-42"]


def test_explicit_numbers_are_honoured(tmp_path):
    """field(number=...) pins x to 7 and z to 3; y gets a number nobody else has."""
    app = tmp_path / "app"
    install("pinned", app)
    generate(app, "pinned", tmp_path / "out")
    text = (tmp_path / "out/pinned/v1/pinned_types.proto").read_text()
    numbers = field_numbers(text, "Pinned")
    assert (numbers["x"], numbers["z"]) == (7, 3)
    assert numbers["y"] not in (3, 7)
    lock = json.loads((app / "pinned/modelwire.lock.json").read_text())
    assert lock["types"]["pinned.v1.Pinned"]["fields"]["x"]["number"] == 7


def test_type_change_is_refused_and_writes_nothing(tmp_path):
    """b: int -> str exits non-zero naming Thing.b; output and lock stay as they were."""
    (v1,) = release(tmp_path, "evolve_v1")
    lock = tmp_path / "app/evolve/modelwire.lock.json"
    before = (snapshot(v1), lock.read_bytes())
    install("evolve_retyped", tmp_path / "app")
    proc = generate(tmp_path / "app", "evolve", v1, check=False)
    assert proc.returncode == 2
    assert "Thing.b" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (snapshot(v1), lock.read_bytes()) == before


@pytest.mark.parametrize("allowed", ["Thing.b", "evolve.v1.Thing.b", "*"])
def test_allow_breaking_lets_type_change_through(tmp_path, allowed):
    """--allow-breaking (short, full or '*') accepts the type change of Thing.b."""
    (v1,) = release(tmp_path, "evolve_v1")
    install("evolve_retyped", tmp_path / "app")
    generate(tmp_path / "app", "evolve", v1, "--allow-breaking", allowed)
    assert "  string b = 2;\n" in message_block((v1 / TYPES).read_text(), "Thing")
    lock = json.loads((tmp_path / "app/evolve/modelwire.lock.json").read_text())
    assert lock["types"]["evolve.v1.Thing"]["fields"]["b"]["type"] == "string"


@pytest.mark.parametrize("fixture", ["evolve_v2", "evolve_newobject", "evolve_newtask"])
def test_buf_breaking_passes_for_additive_edits(tmp_path, fixture):
    """Adding a field, a data object or a task keeps buf breaking (FILE) quiet."""
    before, after = release(tmp_path, "evolve_v1", fixture)
    assert snapshot(before) != snapshot(after)
    proc = buf("breaking", str(after), "--against", str(before), cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_buf_breaking_fails_for_type_change(tmp_path):
    """Control: a type change let through by --allow-breaking fails buf breaking."""
    (before,) = release(tmp_path, "evolve_v1")
    install("evolve_retyped", tmp_path / "app")
    after = tmp_path / "after"
    generate(tmp_path / "app", "evolve", after, "--allow-breaking", "Thing.b")
    proc = buf("breaking", str(after), "--against", str(before), cwd=tmp_path)
    assert proc.returncode != 0
    assert 'on message "Thing" changed type from "int64" to "string"' in proc.stdout
