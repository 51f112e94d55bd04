"""Inexpressible declarations fail when the class is declared, naming class and field."""

import dataclasses
import enum
from typing import Annotated, Any, Optional, Union

import pytest

import modelwire
from modelwire import REGISTRY, SchemaError, dataobject, field

PKG = "dotest.errors.v1"


@dataobject(package=PKG)
class Part:
    name: str


class Size(enum.Enum):
    SMALL = "s"


def declare(annotation, **namespace):
    """Declare a data object ``Bad`` with one field ``value`` of ``annotation``."""
    body = {"__annotations__": {"value": annotation}, "__module__": __name__}
    return dataobject(package=PKG)(type("Bad", (), body | namespace))


@pytest.mark.parametrize(
    "annotation",
    [
        list[list[int]],
        list[dict[str, int]],
        dict[str, list[int]],
        list[Optional[int]],
        Optional[list[int]],
        Optional[dict[str, int]],
        dict[float, int],
        dict[bytes, int],
        dict[Part, int],
        dict[Size, int],
        set[int],
        frozenset[str],
        tuple[int, int],
        Any,
        object,
        complex,
        None,
        list,
        dict,
        Union[int, modelwire.int32],
        Union[str, list[str]],
        Union[
            Annotated[int, modelwire.Branch("a")], Annotated[str, modelwire.Branch("a")]
        ],
        Annotated[str, modelwire.ProtoScalar("int32")],
        Annotated[int, modelwire.ProtoScalar("float")],
        Annotated[int, modelwire.ProtoScalar("string")],
    ],
    ids=repr,
)
def test_inexpressible_annotation_is_refused_at_declaration(annotation):
    """Each inexpressible annotation is a SchemaError naming Bad.value."""
    with REGISTRY.isolated(), pytest.raises(SchemaError, match=r"Bad\.value"):
        declare(annotation)


def test_schema_error_is_raised_before_registration():
    """A refused class leaves nothing behind in the registry."""
    before = set(REGISTRY.dataobjects)
    with pytest.raises(SchemaError):
        declare(set[int])
    assert set(REGISTRY.dataobjects) == before


@pytest.mark.parametrize(
    ("annotation", "default", "needle"),
    [
        (int, None, "Optional"),
        (int, field(default=0, number=19500), "19500"),
        (int, field(default=0, number=0), "field number 0"),
    ],
    ids=["none-default", "reserved-number", "zero-number"],
)
def test_bad_defaults_and_numbers_are_refused(annotation, default, needle):
    """Bad defaults and field numbers are SchemaErrors naming the field."""
    with REGISTRY.isolated(), pytest.raises(SchemaError, match=r"Bad\.value") as info:
        declare(annotation, value=default)
    assert needle in str(info.value)


def test_two_fields_on_one_wire_name_are_refused():
    """x and x_ would both be 'x' on the wire: a SchemaError naming both."""
    body = {"__annotations__": {"x": int, "x_": int}, "__module__": __name__}
    with REGISTRY.isolated(), pytest.raises(SchemaError) as info:
        dataobject(package=PKG)(type("Twin", (), body))
    assert "'x'" in str(info.value)
    assert "'x_'" in str(info.value)


def test_message_name_must_be_pascal_case():
    """A message name that is not PascalCase is refused."""
    with REGISTRY.isolated(), pytest.raises(SchemaError, match="PascalCase"):
        dataobject(package=PKG, name="bad_name")(
            type("Fine", (), {"__annotations__": {"x": int}, "__module__": __name__})
        )


def test_declaring_twice_on_one_class_is_refused():
    """Applying @dataobject to a data object again is refused."""
    with REGISTRY.isolated(), pytest.raises(SchemaError, match="already"):
        dataobject(package=PKG)(Part)


def test_result_is_a_dataclass():
    """A data object is a dataclass with the declared fields."""
    assert dataclasses.is_dataclass(Part)
    assert [f.name for f in dataclasses.fields(Part)] == ["name"]
