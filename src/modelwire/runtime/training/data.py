"""Training data: files of examples under the data directory, JSON Lines or CSV.

A JSON Lines row is one example in the proto3 JSON mapping of the training
data object, exactly what a client would send inline, except that an enum
value may also be given by its Python name (``POSITIVE`` for
``SENTIMENT_POSITIVE``). A CSV file has a header
row naming the data object's fields (proto or Python names); its cells are
converted by field type, so it suits flat data objects only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

SUFFIXES = (".jsonl", ".csv")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_INTEGERS = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}
_FLOATS = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}


class DataFileError(ValueError):
    """A training data file is not allowed or cannot be read."""


def resolve_data_file(name: str, data_dir: Path | None) -> Path:
    """The file ``name`` names inside ``data_dir``; anything leaving it is refused."""
    if data_dir is None:
        raise DataFileError(
            "this server has no data directory, so training data must be sent "
            "inline; start it with --data-dir to allow data files"
        )
    root = Path(data_dir).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path == root:
        raise DataFileError(
            f"data file {name!r} is outside the server's data directory; name a "
            "file relative to it, without '..' or an absolute path"
        )
    if path.suffix.lower() not in SUFFIXES:
        raise DataFileError(
            f"data file {name!r} must end in .jsonl (JSON Lines) or .csv"
        )
    if not path.is_file():
        raise DataFileError(f"data file {name!r} does not exist in the data directory")
    return path


def read_examples(path: Path, data_type: type) -> list[Any]:
    """Every example of a JSON Lines or CSV file, as ``data_type`` objects.

    A bad row raises ``DataFileError`` naming the file, the line and the cause.
    """
    path = Path(path)
    is_csv = path.suffix.lower() == ".csv"
    fields = _fields_by_name(data_type)
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = _csv_rows(handle, data_type, fields) if is_csv else _jsonl_rows(handle)
        for line, row in rows:
            try:
                if is_csv:
                    row = {fields[k].name: _cell(v, fields[k]) for k, v in row.items()}
                examples.append(data_type.from_dict(_enum_names(row, fields)))
            except (json_format.ParseError, ValueError, TypeError) as exc:
                raise DataFileError(f"{path.name}, line {line}: {exc}") from None
    return examples


def _enum_names(
    row: dict[str, Any], fields: dict[str, FieldDescriptor]
) -> dict[str, Any]:
    """Enum values named as in Python (``HAPPY``) get their proto name (``MOOD_HAPPY``).

    Data files are often written by hand or exported from Python; both
    spellings name the same value, so both are accepted.
    """
    named = dict(row)
    for key, value in row.items():
        field = fields.get(key)
        if field is None or field.enum_type is None or not isinstance(value, str):
            continue
        values = field.enum_type.values_by_name
        prefix = field.enum_type.values_by_number[0].name.removesuffix("UNSPECIFIED")
        if value not in values and prefix + value in values:
            named[key] = prefix + value
    return named


def _jsonl_rows(handle: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataFileError(
                f"line {number}: expected one JSON object per line, got "
                f"{type(row).__name__}"
            )
        yield number, row


def _csv_rows(
    handle: Any, data_type: type, fields: dict[str, FieldDescriptor]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    unknown = [name for name in reader.fieldnames or () if name not in fields]
    if unknown:
        known = ", ".join(sorted({f.name for f in fields.values()}))
        raise DataFileError(
            f"CSV columns {unknown} are not fields of {data_type.__name__} "
            f"(fields: {known})"
        )
    for row in reader:
        # Empty cells are left unset, so the field's default applies.
        yield reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}


def _fields_by_name(data_type: type) -> dict[str, FieldDescriptor]:
    from modelwire.core.registry import REGISTRY

    message_class = REGISTRY.message_class(data_type.__mw_spec__.full_name)  # type: ignore[attr-defined]
    found: dict[str, FieldDescriptor] = {}
    for field in message_class.DESCRIPTOR.fields:
        found[field.name] = field
        found[field.json_name] = field
    return found


def _cell(value: str, field: FieldDescriptor) -> Any:
    if field.is_repeated or field.message_type:
        raise DataFileError(
            f"field {field.name!r} is a list, map or message, which a CSV cell "
            "cannot hold; use a JSON Lines file"
        )
    if field.type == FieldDescriptor.TYPE_BOOL:
        if value.strip().lower() not in _BOOLS:
            raise DataFileError(
                f"field {field.name!r}: {value!r} is not true, false, 1 or 0"
            )
        return _BOOLS[value.strip().lower()]
    if field.type in _INTEGERS:
        return int(value)
    if field.type in _FLOATS:
        return float(value)
    return value
