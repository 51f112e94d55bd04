"""Declaring a data object twice: identical is a no-op, different is an error."""

import importlib
import sys
import types

import pytest

from modelwire import REGISTRY, SchemaError

from . import redeclare_helper

PKG = "dotest.redeclare.v1"

SOURCE = f'''
from modelwire import dataobject

@dataobject(package="{PKG}")
class Leaf:
    text: str

@dataobject(package="{PKG}")
class Tree:
    leaf: Leaf
    leaves: list[Leaf]
    size: int = 0
'''

CLASH_A = f'''
from modelwire import dataobject

@dataobject(package="{PKG}")
class Clash:
    text: str
'''

CLASH_B = f'''
from modelwire import dataobject

@dataobject(package="{PKG}")
class Clash:
    number: int
'''


def load(monkeypatch, name, source):
    """Execute ``source`` as a fresh module called ``name``."""
    module = types.ModuleType(name)
    # get_type_hints and dataclasses look the module up by name.
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def test_identical_redeclaration_is_a_silent_no_op(monkeypatch):
    """The same source declared twice under one module name raises nothing."""
    first = load(monkeypatch, "core.redeclared", SOURCE)
    second = load(monkeypatch, "core.redeclared", SOURCE)
    assert first.Tree is not second.Tree
    assert REGISTRY.dataobjects[f"{PKG}.Tree"][0] is second.Tree


def test_both_declarations_still_round_trip(monkeypatch):
    """Objects of the old and the new class both round-trip, and read each other."""
    first = load(monkeypatch, "core.redeclared", SOURCE)
    second = load(monkeypatch, "core.redeclared", SOURCE)
    for module in (first, second):
        tree = module.Tree(module.Leaf("a"), [module.Leaf("b")], size=2)
        assert module.Tree.from_bytes(tree.to_bytes()) == tree
        assert module.Tree.from_json(tree.to_json()) == tree
    old = first.Tree(first.Leaf("a"), [], size=1)
    assert second.Tree.from_bytes(old.to_bytes()).leaf.text == "a"


def test_reload_of_a_module_with_nested_objects_and_enums():
    """importlib.reload of a module with nested objects and an enum is no clash."""
    old_outer, old_inner, old_mood = (
        redeclare_helper.ReloadedOuter,
        redeclare_helper.ReloadedInner,
        redeclare_helper.Mood,
    )
    old = old_outer(old_inner("x"), old_mood.ANGRY, [old_inner("y")])
    assert old_outer.from_bytes(old.to_bytes()) == old
    module = importlib.reload(redeclare_helper)
    assert module.ReloadedOuter is not old_outer
    new = module.ReloadedOuter(
        module.ReloadedInner("x"), module.Mood.CALM, [module.ReloadedInner("z")]
    )
    assert module.ReloadedOuter.from_bytes(new.to_bytes()) == new
    assert module.ReloadedOuter.from_json(new.to_json()) == new
    assert old_outer.from_bytes(old.to_bytes()) == old


def test_different_class_with_same_proto_name_is_refused(monkeypatch):
    """A different class under a taken proto name is a SchemaError naming both."""
    with REGISTRY.isolated():
        load(monkeypatch, "core.clash_a", CLASH_A)
        with pytest.raises(SchemaError) as info:
            load(monkeypatch, "core.clash_b", CLASH_B)
    message = str(info.value)
    assert f"{PKG}.Clash" in message
    assert "core.clash_a.Clash" in message
    assert "core.clash_b.Clash" in message


def test_changed_presence_is_a_different_definition(monkeypatch):
    """Adding a default changes the wire (explicit presence), so it is a clash."""
    with_default = CLASH_A.replace("text: str", 'text: str = "x"')
    with REGISTRY.isolated():
        load(monkeypatch, "core.clash_a", CLASH_A)
        with pytest.raises(SchemaError, match=r"core\.clash_a\.Clash"):
            load(monkeypatch, "core.clash_c", with_default)
