"""Unions become oneofs: the active branch and its type survive, zero values too."""

import json
from typing import Annotated, Optional, Union

import pytest

from modelwire import Branch, dataobject

from .roundtrip import assert_round_trips

PKG = "dotest.unions.v1"


@dataobject(package=PKG)
class Foo:
    bar: Union[str, int]


@dataobject(package=PKG)
class Named:
    value: Union[Annotated[str, Branch("text")], Annotated[int, Branch("number")]]


@dataobject(package=PKG)
class Choice:
    value: Union[bool, int]


@dataobject(package=PKG)
class MaybeChoice:
    value: Optional[Union[str, float]] = None


@dataobject(package=PKG)
class Cat:
    lives: int


@dataobject(package=PKG)
class Dog:
    good: bool


@dataobject(package=PKG)
class Pet:
    animal: Cat | Dog


FOO_CASES = [(10, "bar_int"), ("x", "bar_str"), (0, "bar_int"), ("", "bar_str")]


@pytest.mark.parametrize(("value", "branch"), FOO_CASES)
def test_union_of_primitives_keeps_value_and_type(value, branch):
    """Proto, bytes, JSON and dict round trips keep the value and its type."""
    foo = Foo(value)
    assert_round_trips(foo)
    for back in (
        Foo.from_proto(foo.to_proto()),
        Foo.from_bytes(foo.to_bytes()),
        Foo.from_json(foo.to_json()),
        Foo.from_dict(foo.to_dict()),
    ):
        assert type(back.bar) is type(value)
        assert back.bar == value


@pytest.mark.parametrize(("value", "branch"), FOO_CASES)
def test_union_sets_exactly_one_oneof_member(value, branch):
    """After decoding, exactly the branch of the value's type is set, zero included."""
    msg = Foo.message_class().FromString(Foo(value).to_bytes())
    assert msg.WhichOneof("bar") == branch
    assert [fd.name for fd, _ in msg.ListFields()] == [branch]


def test_zero_int_is_not_read_as_empty_string():
    """0 stays int and '' stays str: the zero values do not collapse."""
    assert type(Foo.from_bytes(Foo(0).to_bytes()).bar) is int
    assert type(Foo.from_bytes(Foo("").to_bytes()).bar) is str
    assert Foo(0).to_bytes() != Foo("").to_bytes()


def test_union_refuses_other_types():
    """A value of no branch type is a TypeError naming Foo.bar and both branches."""
    with pytest.raises(TypeError, match=r"Foo\.bar") as info:
        Foo(1.5)
    assert "str | int" in str(info.value)
    assert "1.5" in str(info.value)


def test_named_branches_are_the_oneof_members():
    """Branch("text") / Branch("number") name the oneof members."""
    descriptor = Named.message_class().DESCRIPTOR
    oneof = descriptor.oneofs_by_name["value"]
    assert sorted(f.name for f in oneof.fields) == ["number", "text"]


@pytest.mark.parametrize(
    ("value", "json_form"),
    [("hi", {"text": "hi"}), ("", {"text": ""}), (0, {"number": "0"})],
)
def test_named_branches_on_the_wire(value, json_form):
    """JSON uses the branch names, and values round-trip with their type."""
    named = Named(value)
    assert named.to_dict() == json_form
    assert_round_trips(named)
    assert type(Named.from_json(named.to_json()).value) is type(value)


@pytest.mark.parametrize(
    ("value", "member", "wire_value"),
    [(False, "valueBool", False), (0, "valueInt", "0"), (True, "valueBool", True)],
)
def test_bool_and_int_branches_stay_apart(value, member, wire_value):
    """False uses the bool member and 0 the int member, in dict and JSON alike."""
    choice = Choice(value)
    assert choice.to_dict() == {member: wire_value}
    assert json.loads(choice.to_json()) == {member: wire_value}
    for back in (
        Choice.from_dict(choice.to_dict()),
        Choice.from_json(choice.to_json()),
        Choice.from_bytes(choice.to_bytes()),
    ):
        assert type(back.value) is type(value)
        assert back.value == value


def test_int_one_does_not_become_true():
    """1 in a bool|int union stays the int 1, not True."""
    back = Choice.from_json(Choice(1).to_json())
    assert type(back.value) is int
    assert back.value == 1


def test_optional_union_unset_is_none():
    """An unset Optional union reads back as None, not a zero branch."""
    empty = MaybeChoice()
    assert empty.to_dict() == {}
    assert MaybeChoice.from_bytes(b"").value is None
    assert MaybeChoice.from_json("{}").value is None
    assert_round_trips(MaybeChoice(0.0))
    assert type(MaybeChoice.from_bytes(MaybeChoice(0.0).to_bytes()).value) is float


def test_int_for_float_branch_is_accepted():
    """An int in a str|float union takes the float branch and becomes a float."""
    choice = MaybeChoice(3)
    assert type(choice.value) is float
    assert MaybeChoice.from_bytes(choice.to_bytes()).value == 3.0


@pytest.mark.parametrize("animal", [Cat(lives=0), Dog(good=False), Cat(lives=9)])
def test_union_of_data_objects_keeps_the_branch(animal):
    """A union of data objects keeps the active class, even with all-zero fields."""
    pet = Pet(animal)
    assert_round_trips(pet)
    assert type(Pet.from_bytes(pet.to_bytes()).animal) is type(animal)


def test_required_union_missing_on_wire_is_value_error():
    """A required union with no member set on the wire is a ValueError naming it."""
    with pytest.raises(ValueError, match=r"Foo\.bar"):
        Foo.from_bytes(b"")
