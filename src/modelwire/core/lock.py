"""The field-number lock: wire numbers that never change between releases.

The lock is a JSON file committed beside a library's code. For every message
it records each field's number and wire signature, plus the numbers and names
of removed fields; for every enum the same for its values. Numbers come from
the lock when a field is known, and new fields take the next number never
used before, so inserting, reordering or removing fields never renumbers the
others. The runtime reads the lock; only the generator writes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelwire.core.errors import LockError
from modelwire.core.fields import MAX_FIELD_NUMBER, RESERVED_RANGE

LOCK_FILE_NAME = "modelwire.lock.json"
LOCK_FORMAT = 1


@dataclass(frozen=True)
class Slot:
    """A field or enum value asking for a number."""

    name: str
    signature: str = ""
    explicit: int | None = None


@dataclass
class Entry:
    numbers: dict[str, int] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    reserved: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": {
                name: {"number": num, "type": self.signatures.get(name, "")}
                for name, num in sorted(self.numbers.items(), key=lambda kv: kv[1])
            },
            "reserved": [
                {"number": num, "name": name}
                for num, name in sorted(self.reserved.items())
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        fields = data.get("fields", {})
        return cls(
            numbers={name: int(f["number"]) for name, f in fields.items()},
            signatures={name: f.get("type", "") for name, f in fields.items()},
            reserved={int(r["number"]): r["name"] for r in data.get("reserved", [])},
        )


@dataclass
class Assignment:
    numbers: dict[str, int]
    reserved: dict[int, str]


class FieldLock:
    """Numbers for the messages and enums of one library."""

    def __init__(
        self, entries: dict[str, Entry] | None = None, path: Path | None = None
    ) -> None:
        self.entries = entries or {}
        self.path = path

    @classmethod
    def load(cls, path: Path) -> FieldLock:
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LockError(f"cannot read the field lock {path}: {exc}") from None
        entries = {
            name: Entry.from_json(e) for name, e in data.get("types", {}).items()
        }
        return cls(entries, path)

    def dumps(self) -> str:
        types = {name: self.entries[name].to_json() for name in sorted(self.entries)}
        return json.dumps({"format": LOCK_FORMAT, "types": types}, indent=2) + "\n"

    def save(self, path: Path | None = None) -> None:
        target = path or self.path
        if target is None:
            raise ValueError("no path to save the field lock to")
        tmp = target.with_suffix(".tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(target)

    def assign(
        self,
        type_name: str,
        slots: list[Slot],
        *,
        first: int = 1,
        allow_breaking: frozenset[str] = frozenset(),
    ) -> Assignment:
        """Numbers for ``slots`` of ``type_name``; records them in this lock.

        ``allow_breaking`` holds ``Type.field`` names (or ``*``) whose type or
        number may change on purpose.
        """
        entry = self.entries.setdefault(type_name, Entry())
        current = {slot.name for slot in slots}
        for name in [n for n in entry.numbers if n not in current]:
            entry.reserved[entry.numbers.pop(name)] = name
            entry.signatures.pop(name, None)

        planner = _Planner(type_name, entry, first, allow_breaking)
        numbers = {slot.name: planner.number_for(slot) for slot in slots}
        _check_duplicates(type_name, numbers)
        entry.numbers = dict(numbers)
        entry.signatures.update({s.name: s.signature for s in slots if s.signature})
        return Assignment(numbers, dict(entry.reserved))


class _Planner:
    def __init__(
        self, type_name: str, entry: Entry, first: int, allow: frozenset[str]
    ) -> None:
        self.type_name, self.entry, self.allow = type_name, entry, allow
        used = set(entry.numbers.values()) | set(entry.reserved)
        self.next = max(used | {first - 1}) + 1

    def allowed(self, name: str) -> bool:
        # Users write the short ``Type.field`` as often as the full name.
        short = self.type_name.rsplit(".", 1)[-1]
        names = {"*", f"{self.type_name}.{name}", f"{short}.{name}"}
        return not names.isdisjoint(self.allow)

    def number_for(self, slot: Slot) -> int:
        known = self.entry.numbers.get(slot.name)
        if known is not None:
            return self._keep(slot, known)
        if slot.name in self.entry.reserved.values():
            self._revive(slot)
        if slot.explicit is not None:
            return self._claim(slot, slot.explicit)
        return self._fresh()

    def _keep(self, slot: Slot, known: int) -> int:
        where = f"{self.type_name}.{slot.name}"
        old = self.entry.signatures.get(slot.name, "")
        if (
            old
            and slot.signature
            and old != slot.signature
            and not self.allowed(slot.name)
        ):
            raise LockError(
                f"{where} changed type from '{old}' to '{slot.signature}', which "
                "breaks clients built against the locked contract; add a new field "
                f"instead, or allow it explicitly (--allow-breaking {where})"
            )
        if slot.explicit is not None and slot.explicit != known:
            if not self.allowed(slot.name):
                raise LockError(
                    f"{where} is locked to number {known} but declares number "
                    f"{slot.explicit}; renumbering breaks every existing client "
                    f"(allow it explicitly with --allow-breaking {where})"
                )
            self.entry.reserved[known] = ""
            return self._claim(slot, slot.explicit)
        return known

    def _revive(self, slot: Slot) -> None:
        where = f"{self.type_name}.{slot.name}"
        if not self.allowed(slot.name):
            raise LockError(
                f"{where} was removed before and its name is reserved; choose "
                f"another name, or reuse it under a new number with "
                f"--allow-breaking {where}"
            )
        self.entry.reserved = {
            n: name for n, name in self.entry.reserved.items() if name != slot.name
        } | {n: "" for n, name in self.entry.reserved.items() if name == slot.name}

    def _claim(self, slot: Slot, number: int) -> int:
        if number in self.entry.reserved:
            raise LockError(
                f"{self.type_name}.{slot.name} asks for number {number}, which "
                f"was used by removed field '{self.entry.reserved[number]}' and "
                "stays reserved; pick a new number"
            )
        self.next = max(self.next, number + 1)
        return number

    def _fresh(self) -> int:
        number = self.next
        if number in RESERVED_RANGE:
            number = RESERVED_RANGE.stop
        if number > MAX_FIELD_NUMBER:
            raise LockError(f"{self.type_name} ran out of field numbers")
        self.next = number + 1
        return number


def _check_duplicates(type_name: str, numbers: dict[str, int]) -> None:
    owners: dict[int, str] = {}
    for name, number in numbers.items():
        other = owners.setdefault(number, name)
        if other != name:
            raise LockError(
                f"{type_name}: fields '{other}' and '{name}' both have number {number}"
            )
