"""A library for the training and model management tests.

``Memo`` learns a label per text and reports progress; ``Spinner`` trains
until it is stopped, leaving its process id and a tick per step in files so
that a test can see it stop; ``Dozer`` (no training) holds a call until the
test releases it. Its proto package is ``trainwire.v1``, so the
compiled stubs never shadow this package.
"""

from __future__ import annotations

import enum
import json
import os
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import modelwire as mw

mw.declare_library(__name__, "trainwire.v1")


class Mood(enum.Enum):
    SAD = 1
    HAPPY = 2


@mw.dataobject
class Example:
    """A text with the mood it should get."""

    text: str
    mood: Mood
    weight: float = 1.0


@mw.dataobject
class Guess:
    """The mood learnt for a text."""

    mood: Mood
    known: bool
    note: str


@mw.task(output=Guess)
class GuessMood:
    """Answer the mood learnt for a text."""

    text: str


@mw.module(id="trainlib.memo", name="Memo", version="1.2.0", task=GuessMood)
class Memo(mw.ModuleBase):
    """Remembers the mood of every training text."""

    def __init__(self, moods: dict[str, Mood], note: str) -> None:
        self.moods = moods
        self.note = note

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        note: str = "memo",
        rounds: int = 3,
        *,
        min_weight: float = 0.0,
    ) -> Memo:
        """Reports progress once per round; a text "crash" ends the process."""
        moods: dict[str, Mood] = {}
        for row, example in enumerate(examples, start=1):
            if example.text == "crash":
                os._exit(7)
            if example.text == "bad":
                raise ValueError(f"bad labels in row {row}")
            if example.weight >= min_weight:
                moods[example.text] = example.mood
        for done in range(1, rounds + 1):
            mw.report_progress(done / rounds, f"round {done} of {rounds}")
        return cls(moods, note)

    @classmethod
    def load(cls, model_path: Path) -> Memo:
        data = json.loads((Path(model_path) / "moods.json").read_text("utf-8"))
        moods = {text: Mood[name] for text, name in data["moods"].items()}
        return cls(moods, data["note"])

    def save(self, model_path: Path) -> dict[str, str]:
        moods = {text: mood.name for text, mood in self.moods.items()}
        data = {"moods": moods, "note": self.note}
        (Path(model_path) / "moods.json").write_text(json.dumps(data), "utf-8")
        return {"kind": "memo"}

    def run(self, text: str) -> Guess:
        mood = self.moods.get(text)
        return Guess(mood or Mood.SAD, mood is not None, self.note)


@mw.module(id="trainlib.spinner", name="Spinner", version="0.1.0", task=GuessMood)
class Spinner(mw.ModuleBase):
    """Trains for ``steps`` steps of ``step_ms``, writing a tick per step."""

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        work_dir: str = "",
        steps: int = 1000,
        step_ms: int = 20,
        ignore_sigterm: bool = False,
    ) -> Spinner:
        if ignore_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        work = Path(work_dir)
        (work / "pid").write_text(str(os.getpid()), "utf-8")
        with (work / "ticks").open("a", encoding="utf-8") as ticks:
            for step in range(steps):
                ticks.write(f"{step}\n")
                ticks.flush()
                mw.report_progress(step / steps)
                time.sleep(step_ms / 1000)
        return cls()

    @classmethod
    def load(cls, model_path: Path) -> Spinner:
        return cls()

    def save(self, model_path: Path) -> None:
        (Path(model_path) / "spun").write_text("yes", "utf-8")

    def run(self, text: str) -> Guess:
        return Guess(Mood.HAPPY, False, "spinner")


#: Set by ``Dozer.run`` once a call is inside; the call then waits for RELEASE.
ENTERED = threading.Event()
RELEASE = threading.Event()


@mw.module(id="trainlib.dozer", name="Dozer", version="0.1.0", task=GuessMood)
class Dozer(mw.ModuleBase):
    """Holds each call until ``RELEASE`` is set, so a test can act meanwhile."""

    @classmethod
    def load(cls, model_path: Path) -> Dozer:
        return cls()

    def run(self, text: str) -> Guess:
        ENTERED.set()
        RELEASE.wait(timeout=60)
        return Guess(Mood.HAPPY, True, "dozed")
