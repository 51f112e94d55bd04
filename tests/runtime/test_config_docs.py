"""docs/configuration.md lists every setting exactly as the settings model has it."""

from __future__ import annotations

from pathlib import Path

import yaml

from modelwire.runtime.config import SettingInfo, settings_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
HEADER = "| setting | type | default | environment variable | flag | what it does |"
TYPES = {int: "integer", float: "number", bool: "boolean", str: "string", Path: "path"}


def _doc_rows() -> dict[str, list[str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2
    rows: dict[str, list[str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells
    return rows


def _expected(row: SettingInfo) -> list[str]:
    kind = TYPES[row.type]
    if row.meta.choices:
        kind = "one of " + ", ".join(f"`{c}`" for c in row.meta.choices)
    if row.optional:
        kind += " or null"
    default = yaml.safe_dump(row.default, default_flow_style=True)
    default = default.strip().removesuffix("...").strip()
    if row.flag == "":
        flag = "`LIBRARY` argument"
    elif row.type is bool:
        flag = f"`{row.flag}` / `--no-{row.flag[2:]}`"
    else:
        flag = f"`{row.flag}`"
    return [f"`{row.name}`", kind, f"`{default}`", f"`{row.env}`", flag, row.meta.help]


def test_the_table_has_every_setting_and_nothing_else():
    documented = _doc_rows()
    assert sorted(documented) == sorted(row.name for row in settings_table())


def test_each_row_matches_the_model():
    documented = _doc_rows()
    for row in settings_table():
        assert documented[row.name] == _expected(row), row.name
