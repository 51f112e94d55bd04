"""Data objects that test_redeclare reloads, as a re-import during development does."""

import enum

from modelwire import dataobject


class Mood(enum.Enum):
    CALM = "calm"
    ANGRY = "angry"


@dataobject(package="dotest.redeclare.v1")
class ReloadedInner:
    label: str


@dataobject(package="dotest.redeclare.v1")
class ReloadedOuter:
    inner: ReloadedInner
    mood: Mood
    items: list[ReloadedInner]
