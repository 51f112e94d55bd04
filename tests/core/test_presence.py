"""Presence: unset fields read as None or their declared default, never as 0."""

from typing import Optional

import pytest

from modelwire import REGISTRY, SchemaError, dataobject, field

from .roundtrip import assert_round_trips

PKG = "dotest.presence.v1"


@dataobject(package=PKG)
class Params:
    x: Optional[int] = None
    flag: Optional[bool] = None
    k: int = 5


@dataobject(package=PKG)
class Item:
    name: str


@dataobject(package=PKG)
class Holder:
    item: Optional[Item] = None


@dataobject(package=PKG)
class Wrapper:
    item: Item


@dataobject(package=PKG)
class Defaults:
    greeting: str = "hi"
    ratio: float = 0.5
    on: bool = True
    tags: list[str] = field(default_factory=list)
    item: Item = field(default_factory=lambda: Item("default"))


@dataobject(package=PKG)
class MaybeText:
    text: Optional[str]


def decode(**wire):
    """Params decoded from bytes of a message built directly with ``wire`` set."""
    msg = Params.message_class()(**wire)
    return Params.from_bytes(msg.SerializeToString())


def test_unset_optional_is_none():
    """x unset on the wire decodes to None, not 0."""
    assert decode().x is None
    assert decode().flag is None


def test_optional_zero_is_zero():
    """x=0 on the wire decodes to 0, not None."""
    params = decode(x=0)
    assert params.x == 0
    assert params.x is not None


def test_optional_false_is_false():
    """flag=False on the wire decodes to False, not None."""
    assert decode(flag=False).flag is False


def test_json_null_is_none():
    """JSON "x": null decodes to None."""
    assert Params.from_json('{"x": null, "flag": null}') == Params()
    assert Params.from_json('{"x": null}').x is None


def test_unset_defaulted_field_reads_its_default():
    """k unset on the wire reads back as its default 5, not 0."""
    assert decode().k == 5
    assert Params.from_json("{}").k == 5
    assert Params.from_dict({}).k == 5


def test_defaulted_field_set_to_zero_stays_zero():
    """k=0 explicitly on the wire reads back as 0, not the default."""
    assert decode(k=0).k == 0
    assert Params.from_bytes(Params(k=0).to_bytes()).k == 0


@pytest.mark.parametrize("name", ["x", "flag", "k"])
def test_descriptor_marks_explicit_presence(name):
    """Optional and defaulted fields have explicit presence in the descriptor."""
    descriptor = Params.message_class().DESCRIPTOR.fields_by_name[name]
    assert descriptor.has_presence


@pytest.mark.parametrize(
    "params", [Params(), Params(x=0, flag=False, k=0), Params(x=-3, flag=True, k=7)]
)
def test_params_round_trip(params):
    """Set, zero and unset values all survive every wire form."""
    assert_round_trips(params)


def test_unset_fields_are_left_out_of_json():
    """None-valued optional fields are absent from the JSON form; zeros are kept."""
    assert Params(k=5).to_dict() == {"k": "5"}
    assert Params(x=0, flag=False, k=0).to_dict() == {"x": "0", "flag": False, "k": "0"}


def test_optional_message_unset_is_none():
    """An unset Optional[Item] reads back as None."""
    assert Holder.from_bytes(b"").item is None
    assert Holder.from_json("{}").item is None
    assert_round_trips(Holder())
    assert_round_trips(Holder(Item("")))
    assert Holder.from_bytes(Holder(Item("")).to_bytes()).item == Item("")


def test_required_message_missing_is_value_error():
    """A required nested message missing on the wire is a ValueError naming it."""
    with pytest.raises(ValueError, match=r"Wrapper\.item"):
        Wrapper.from_bytes(b"")
    with pytest.raises(ValueError, match=r"Wrapper\.item"):
        Wrapper.from_json("{}")


def test_required_message_with_zero_fields_is_present():
    """A present nested message whose fields are all zero is not 'missing'."""
    assert Wrapper.from_bytes(Wrapper(Item("")).to_bytes()) == Wrapper(Item(""))


def test_defaults_apply_when_unset_on_the_wire():
    """Every declared default (scalar, list, message) applies to an empty message."""
    assert Defaults.from_bytes(b"") == Defaults()
    assert Defaults.from_bytes(b"").item == Item("default")


def test_defaults_overridden_by_zero_values():
    """Zero values set on purpose override non-zero defaults."""
    zeros = Defaults(greeting="", ratio=0.0, on=False, item=Item(""))
    back = Defaults.from_bytes(zeros.to_bytes())
    assert back == zeros
    assert back.on is False
    assert_round_trips(zeros)


def test_optional_without_default_is_required_argument_but_accepts_none():
    """Optional[str] with no default must be passed, may be None, and reads back."""
    with pytest.raises(TypeError):
        MaybeText()  # type: ignore[call-arg]
    assert MaybeText.from_bytes(MaybeText(None).to_bytes()).text is None
    assert MaybeText.from_bytes(MaybeText("").to_bytes()).text == ""


@pytest.mark.parametrize("default", ["3", "field(default_factory=lambda: 3)"])
def test_optional_with_non_none_default_is_refused(default):
    """Optional[int] defaulting to 3 is refused: None would read back as 3."""
    source = f"class Bad:\n    x: Optional[int] = {default}\n"
    namespace = {"Optional": Optional, "field": field, "__name__": __name__}
    exec(source, namespace)
    with REGISTRY.isolated(), pytest.raises(SchemaError, match=r"Bad\.x") as info:
        dataobject(package=PKG)(namespace["Bad"])
    assert "must be None" in str(info.value)
