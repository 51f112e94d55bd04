"""What the parts measured, as plain data: rendered by ``report``, dumped as JSON."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from harness.loadgen import Load


@dataclass(frozen=True)
class Goal:
    """``numerator / denominator`` of ``metric`` against a target ratio."""

    label: str
    numerator: str
    denominator: str
    #: a ``Load`` field: rps or p99_ms
    metric: str
    #: the target; None shows the ratio without judging it
    target: float | None = None
    higher_is_better: bool = True

    def met(self, ratio: float) -> bool:
        if self.target is None:
            return True
        return ratio >= self.target if self.higher_is_better else ratio <= self.target


@dataclass
class Comparison:
    """Servers taking turns under the same load; per server and concurrency."""

    servers: list[str]
    concurrencies: list[int]
    goals: list[Goal]
    #: server -> concurrency -> one Load per round
    loads: dict[str, dict[int, list[Load]]] = field(default_factory=dict)
    #: server -> why it was not measured (a feature still missing in modelwire)
    pending: dict[str, str] = field(default_factory=dict)
    #: server -> why its measurement failed
    failed: dict[str, str] = field(default_factory=dict)

    def add(self, server: str, concurrency: int, load: Load) -> None:
        self.loads.setdefault(server, {}).setdefault(concurrency, []).append(load)

    def runs(self, server: str, concurrency: int) -> list[Load]:
        return self.loads.get(server, {}).get(concurrency, [])

    def median(self, server: str, concurrency: int, metric: str) -> float | None:
        values = [getattr(load, metric) for load in self.runs(server, concurrency)]
        return statistics.median(values) if values else None

    def ratio(self, goal: Goal, concurrency: int) -> float | None:
        """Median over rounds of the ratio within each round (same machine state)."""
        top = self.runs(goal.numerator, concurrency)
        bottom = self.runs(goal.denominator, concurrency)
        ratios = [
            getattr(a, goal.metric) / getattr(b, goal.metric)
            for a, b in zip(top, bottom, strict=False)
            if getattr(b, goal.metric) > 0
        ]
        return statistics.median(ratios) if ratios else None

    def missed(self) -> list[tuple[Goal, int, float]]:
        misses = []
        for goal in self.goals:
            for concurrency in self.concurrencies:
                ratio = self.ratio(goal, concurrency)
                if ratio is not None and not goal.met(ratio):
                    misses.append((goal, concurrency, ratio))
        return misses


@dataclass
class ColdStarts:
    #: (workload, server) -> seconds of each launch
    seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    pending: dict[tuple[str, str], str] = field(default_factory=dict)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class GeneratorRun:
    modules: int
    #: client flavours generated beside the protos (empty: protos only)
    flavours: tuple[str, ...]
    seconds: float
    peak_mib: float
    files: int


@dataclass
class GeneratorRuns:
    runs: list[GeneratorRun] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class MemoryRuns:
    #: server -> (calls made so far, RSS in MiB) at each checkpoint
    rss: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProfileLine:
    function: str
    #: share of samples with this function on the stack, and at its top
    inclusive: float
    own: float


@dataclass
class Profile:
    server: str
    workload: str
    samples: int
    lines: list[ProfileLine]
    rps: float
