"""How long and how often each part measures: the full run and the quick one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    mode: str
    #: seconds of load per measurement, and the unrecorded warm-up before it
    seconds: float
    warmup_seconds: float
    #: each round loads every server once per concurrency, in a rotated order
    rounds: int
    concurrencies: tuple[int, ...] = (1, 16, 64)
    #: threads serving calls, the same for every server under test
    workers: int = 8
    sentiment_callers: int = 32
    sentiment_seconds: float = 15.0
    cold_start_repeats: int = 5
    cold_start_repeats_sentiment: int = 2
    #: an unrecorded launch first, so that every recorded one finds warm caches
    cold_start_warmup: bool = True
    generator_sizes: tuple[int, ...] = (10, 100, 1000)
    generator_repeats: int = 3
    #: runs with every client flavour take minutes at 1000 modules: fewer repeats
    generator_client_repeats: int = 1
    #: client flavours to generate; None means every flavour modelwire offers
    generator_flavours: tuple[str, ...] | None = None
    #: echo calls after which the server's RSS is read; the first is the baseline
    memory_checkpoints: tuple[int, ...] = (1_000, 10_000, 50_000, 100_000)
    profile_seconds: float = 10.0


#: About 15 minutes on two cores. Three short rounds rather than two long ones:
#: the median of three within-round ratios shrugs off one disturbed round.
FULL = Settings(
    mode="full",
    seconds=5.0,
    warmup_seconds=1.0,
    rounds=3,
    sentiment_seconds=10.0,
    generator_repeats=2,
)

QUICK = Settings(
    mode="quick",
    seconds=1.5,
    warmup_seconds=0.5,
    rounds=1,
    sentiment_seconds=3.0,
    cold_start_repeats=1,
    cold_start_repeats_sentiment=1,
    cold_start_warmup=False,
    generator_sizes=(10, 100),
    generator_repeats=1,
    memory_checkpoints=(1_000, 5_000),
    profile_seconds=2.0,
)
