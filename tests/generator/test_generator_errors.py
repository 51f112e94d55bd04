"""Inexpressible declarations stop generation; no RPC is dropped silently."""

from __future__ import annotations

import pytest

from generator.support import generate, install


@pytest.mark.parametrize(
    ("fixture", "named"),
    [
        ("bad_param_type", ["module bad.Echoer", "'bad.echo'", "'ids'", "set[int]"]),
        ("bad_missing_input", ["module bad.Echoer", "run() lacks", "input(s) text"]),
        ("bad_return", ["module bad.Echoer", "run() returns", "bad.Other", "Out"]),
        ("bad_field", ["Bag.labels", "set[str]"]),
    ],
)
def test_inexpressible_declaration_fails_with_exit_2(tmp_path, fixture, named):
    """Exit code 2, one error naming the module and parameter or field, no output."""
    app, out = tmp_path / "app", tmp_path / "out"
    install(fixture, app)
    proc = generate(app, "bad", out, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr
    for text in named:
        assert text in proc.stderr
    assert not out.exists()
    assert not (app / "bad" / "modelwire.lock.json").exists()


def test_missing_library_fails_with_exit_2(tmp_path):
    """A library that cannot be imported is reported by name, with exit code 2."""
    proc = generate(tmp_path, "no_such_library", tmp_path / "out", check=False)
    assert proc.returncode == 2
    assert "'no_such_library'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_namespace_package_without_lock_fails_with_exit_2(tmp_path):
    """A library with no __init__.py has no lock folder: exit 2 asking for --lock."""
    install("bad_namespace", tmp_path / "app")
    proc = generate(tmp_path / "app", "bad", tmp_path / "out", check=False)
    assert proc.returncode == 2
    assert "pass --lock" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
