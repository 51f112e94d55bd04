"""Python keywords: a trailing underscore in a Python name is dropped on the wire."""

import enum
import json

import pytest

from modelwire import dataobject

from .roundtrip import assert_round_trips

PKG = "dotest.keywords.v1"


class Reserved(enum.Enum):
    None_ = 1
    class_ = 2


@dataobject(package=PKG)
class Route:
    from_: str
    to: str
    type_: int
    class_: float
    import_: bool
    None_: str
    kind: Reserved = Reserved.None_


ROUTE = Route(
    from_="Zürich", to="Bern", type_=7, class_=1.5, import_=True, None_="nothing"
)
WIRE_NAMES = {
    "from_": "from",
    "to": "to",
    "type_": "type",
    "class_": "class",
    "import_": "import",
    "None_": "None",
}


@pytest.mark.parametrize(("py_name", "wire_name"), WIRE_NAMES.items())
def test_proto_field_names_drop_the_underscore(py_name, wire_name):
    """The proto field of from_ is named from (and so on for each keyword)."""
    fields = Route.message_class().DESCRIPTOR.fields_by_name
    assert wire_name in fields
    assert fields[wire_name].json_name == wire_name
    if py_name != wire_name:
        assert py_name not in fields


def test_json_keys_drop_the_underscore():
    """JSON keys are the wire names: from, to, type, class, import, None."""
    data = json.loads(ROUTE.to_json())
    assert data == {
        "from": "Zürich",
        "to": "Bern",
        "type": "7",
        "class": 1.5,
        "import": True,
        "None": "nothing",
        "kind": "RESERVED_NONE",
    }
    assert ROUTE.to_dict() == data


def test_keyword_fields_round_trip():
    """Keyword-named fields survive bytes, JSON and dict."""
    assert_round_trips(ROUTE)
    back = Route.from_json(ROUTE.to_json())
    assert back.from_ == "Zürich"
    assert back.class_ == 1.5


def test_python_names_stay_on_the_object():
    """The object keeps its Python names; the wire names are not attributes."""
    back = Route.from_bytes(ROUTE.to_bytes())
    assert back.None_ == "nothing"
    assert not hasattr(back, "from")


@pytest.mark.parametrize(
    ("member", "wire_name"),
    [(Reserved.None_, "RESERVED_NONE"), (Reserved.class_, "RESERVED_CLASS")],
)
def test_keyword_enum_members_round_trip(member, wire_name):
    """Enum members None_ and class_ map to RESERVED_NONE / RESERVED_CLASS and back."""
    route = Route(
        from_="", to="", type_=0, class_=0.0, import_=False, None_="", kind=member
    )
    assert route.to_dict()["kind"] == wire_name
    assert_round_trips(route)
    assert Route.from_bytes(route.to_bytes()).kind is member
    enum_type = Route.message_class().DESCRIPTOR.fields_by_name["kind"].enum_type
    assert enum_type.values_by_name[wire_name].number == member.value
