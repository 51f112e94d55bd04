"""Shared check: a data object survives every wire form unchanged."""

import json
from typing import Any


def assert_round_trips(obj: Any) -> None:
    """Bytes, canonical JSON and dict each give back an equal object."""
    cls = type(obj)
    assert cls.from_bytes(obj.to_bytes()) == obj
    assert cls.from_proto(obj.to_proto()) == obj
    assert cls.from_json(obj.to_json()) == obj
    assert cls.from_dict(obj.to_dict()) == obj
    # The dict form is exactly what the JSON form holds.
    assert json.loads(obj.to_json()) == obj.to_dict()
