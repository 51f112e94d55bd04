"""Nested data objects, lists (repeated) and dicts (maps)."""

import json

import pytest
from google.protobuf.descriptor import FieldDescriptor

from modelwire import dataobject, field

from .roundtrip import assert_round_trips

PKG = "dotest.containers.v1"


@dataobject(package=PKG)
class Item:
    name: str
    qty: int = 1


@dataobject(package=PKG)
class Other:
    name: str


@dataobject(package=PKG)
class Basket:
    items: list[Item] = field(default_factory=list)
    by_name: dict[str, Item] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    flags: dict[bool, float] = field(default_factory=dict)


@dataobject(package=PKG)
class Shelf:
    baskets: list[Basket]
    main: Basket


FULL = Basket(
    items=[Item("apple", 3), Item("", 0), Item("pear")],
    by_name={"a": Item("apple", 3), "": Item("blank", 0)},
    labels={-(2**63): "min", 0: "zero", 2**63 - 1: "max"},
    tags=["b", "a", "b"],
    flags={True: 1.5, False: -0.5},
)


@pytest.mark.parametrize("basket", [FULL, Basket()])
def test_lists_and_maps_round_trip(basket):
    """Lists and maps of data objects and scalars (full or empty) round-trip."""
    assert_round_trips(basket)


def test_list_order_and_duplicates_are_kept():
    """Repeated fields keep order and duplicates."""
    back = Basket.from_bytes(FULL.to_bytes())
    assert back.tags == ["b", "a", "b"]
    assert [i.name for i in back.items] == ["apple", "", "pear"]


def test_int_map_keys_round_trip_through_json():
    """int map keys are JSON strings on the wire and ints after reading back."""
    data = json.loads(FULL.to_json())
    assert data["labels"] == {str(-(2**63)): "min", "0": "zero", str(2**63 - 1): "max"}
    back = Basket.from_json(FULL.to_json())
    assert back.labels == FULL.labels
    assert all(type(k) is int for k in back.labels)


def test_nested_data_objects_decode_to_their_classes():
    """Nested objects come back as instances of their data object class."""
    shelf = Shelf(baskets=[FULL, Basket(tags=["x"])], main=Basket())
    back = Shelf.from_bytes(shelf.to_bytes())
    assert back == shelf
    assert type(back.baskets[0].by_name["a"]) is Item
    assert back.baskets[0].by_name["a"].qty == 3
    assert_round_trips(shelf)


def test_map_descriptor_is_a_map():
    """dict fields become protobuf maps with the declared key type."""
    fields = Basket.message_class().DESCRIPTOR.fields_by_name
    labels = fields["labels"].message_type
    assert labels.GetOptions().map_entry
    assert labels.fields_by_name["key"].type == FieldDescriptor.TYPE_INT64
    assert fields["items"].is_repeated


def test_tuple_is_accepted_for_a_list_and_stored_as_list():
    """A tuple given for a list field is stored as a list."""
    basket = Basket(tags=("a", "b"))
    assert basket.tags == ["a", "b"]
    assert Basket.from_bytes(basket.to_bytes()).tags == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "field_name", "bad"),
    [
        ({"items": [{"name": "apple"}]}, "items", "{'name': 'apple'}"),
        ({"items": [Other("apple")]}, "items", "Other(name='apple')"),
        ({"items": Item("apple")}, "items", "Item(name='apple', qty=1)"),
        ({"by_name": {"a": "apple"}}, "by_name", "'apple'"),
        ({"labels": {"1": "one"}}, "labels", "'1'"),
        ({"tags": ["a", 1]}, "tags", "1"),
        ({"tags": "abc"}, "tags", "'abc'"),
    ],
)
def test_container_type_errors_name_the_field(kwargs, field_name, bad):
    """Wrong elements, keys or containers are a TypeError naming Basket.<field>."""
    with pytest.raises(TypeError, match=rf"Basket\.{field_name}\b") as info:
        Basket(**kwargs)
    assert bad in str(info.value)


@pytest.mark.parametrize("value", [{"name": "apple"}, Other("apple"), "apple"])
def test_message_field_refuses_non_data_objects(value):
    """A message field refuses dicts, other data objects and strings, naming Item."""
    with pytest.raises(TypeError, match=r"Shelf\.main") as info:
        Shelf(baskets=[], main=value)
    assert "expected Basket" in str(info.value)


def test_nested_validation_happens_in_the_nested_class():
    """A bad value inside a nested object is reported by that object's class."""
    with pytest.raises(TypeError, match=r"Item\.qty"):
        Basket(items=[Item("apple", "3")])
