"""Enums: proto enums with an UNSPECIFIED zero, explicit numbers and strict decoding."""

import enum
import json
from typing import Optional

import pytest

from modelwire import REGISTRY, SchemaError, dataobject, field

from .roundtrip import assert_round_trips

PKG = "dotest.enums.v1"


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 5
    URGENT = 10


class Mode(enum.IntEnum):
    UNSPECIFIED = 0
    FAST = 1
    SLOW = 2


@dataobject(package=PKG)
class Palette:
    color: Color
    priority: Priority = Priority.LOW
    mode: Mode = Mode.FAST
    shade: Optional[Color] = None
    history: list[Color] = field(default_factory=list)
    by_key: dict[str, Priority] = field(default_factory=dict)


def enum_values(field_name: str) -> dict[str, int]:
    """Value names and numbers of the proto enum behind ``field_name``."""
    descriptor = Palette.message_class().DESCRIPTOR.fields_by_name[field_name]
    return {v.name: v.number for v in descriptor.enum_type.values}


def test_string_valued_enum_gets_unspecified_zero():
    """A str-valued Enum gets COLOR_UNSPECIFIED = 0 and numbers from 1."""
    assert enum_values("color") == {
        "COLOR_UNSPECIFIED": 0,
        "COLOR_RED": 1,
        "COLOR_GREEN": 2,
        "COLOR_BLUE": 3,
    }


@pytest.mark.parametrize(("name", "number"), [("HIGH", 5), ("URGENT", 10), ("LOW", 1)])
def test_int_enum_numbers_are_the_proto_numbers(name, number):
    """IntEnum members keep their explicit numbers as proto numbers."""
    descriptor = Palette.message_class().DESCRIPTOR.fields_by_name["priority"]
    assert descriptor.enum_type.values_by_name[f"PRIORITY_{name}"].number == number
    assert enum_values("priority")["PRIORITY_UNSPECIFIED"] == 0


def test_member_named_unspecified_takes_zero():
    """A member named UNSPECIFIED with value 0 is the proto zero value."""
    assert enum_values("mode") == {
        "MODE_UNSPECIFIED": 0,
        "MODE_FAST": 1,
        "MODE_SLOW": 2,
    }
    palette = Palette(Color.RED, mode=Mode.UNSPECIFIED)
    assert Palette.from_bytes(palette.to_bytes()).mode is Mode.UNSPECIFIED


@pytest.mark.parametrize(
    "palette",
    [
        Palette(Color.GREEN),
        Palette(
            Color.BLUE,
            priority=Priority.URGENT,
            mode=Mode.SLOW,
            shade=Color.RED,
            history=[Color.RED, Color.BLUE, Color.RED],
            by_key={"a": Priority.HIGH, "b": Priority.LOW},
        ),
    ],
)
def test_enums_round_trip(palette):
    """Enum fields, lists and map values survive every wire form as members."""
    assert_round_trips(palette)
    back = Palette.from_bytes(palette.to_bytes())
    assert back.color is palette.color
    assert back.priority is palette.priority


def test_enum_json_uses_value_names():
    """JSON holds the proto value names."""
    data = json.loads(Palette(Color.RED, priority=Priority.HIGH).to_json())
    assert data["color"] == "COLOR_RED"
    assert data["priority"] == "PRIORITY_HIGH"


def test_optional_enum_unset_is_none():
    """An unset Optional enum reads back as None, not the first member."""
    assert Palette.from_bytes(Palette(Color.RED).to_bytes()).shade is None


def test_unknown_enum_number_is_value_error():
    """An unknown number on decode is a ValueError naming the field and the allowed values."""
    msg = Palette.message_class()(color=2, priority=7)
    with pytest.raises(ValueError, match=r"Palette\.priority") as info:
        Palette.from_bytes(msg.SerializeToString())
    message = str(info.value)
    assert "7" in message
    assert "LOW=1" in message
    assert "HIGH=5" in message
    assert "URGENT=10" in message


def test_unknown_enum_number_in_a_list_is_value_error():
    """An unknown number inside a repeated enum is a ValueError naming the field."""
    msg = Palette.message_class()(color=1, history=[1, 42])
    with pytest.raises(ValueError, match=r"Palette\.history") as info:
        Palette.from_proto(msg)
    assert "42" in str(info.value)


def test_unknown_enum_name_in_json_is_value_error():
    """An unknown value name in JSON is a ValueError."""
    with pytest.raises(ValueError, match="COLOR_PURPLE"):
        Palette.from_json('{"color": "COLOR_PURPLE"}')


def test_required_enum_unset_is_value_error():
    """A required enum left at the zero value is a ValueError naming the field."""
    with pytest.raises(ValueError, match=r"Palette\.color"):
        Palette.from_bytes(b"")


@pytest.mark.parametrize(
    ("field_name", "value", "enum_name"),
    [("color", "red", "Color"), ("priority", 5, "Priority")],
)
def test_enum_field_refuses_raw_values(field_name, value, enum_name):
    """A raw value instead of a member is a TypeError naming the field and the enum."""
    kwargs = {"color": Color.RED, field_name: value}
    with pytest.raises(TypeError, match=rf"Palette\.{field_name}") as info:
        Palette(**kwargs)
    assert f"expected {enum_name}" in str(info.value)


def test_zero_member_not_named_unspecified_is_refused():
    """An enum member with value 0 not named UNSPECIFIED is a SchemaError at build."""

    class Switch(enum.IntEnum):
        OFF = 0
        ON = 1

    with REGISTRY.isolated():

        @dataobject(package=PKG)
        class Lamp:
            switch: Switch

        with pytest.raises(SchemaError, match="OFF") as info:
            Lamp.message_class()
        assert "UNSPECIFIED" in str(info.value)
