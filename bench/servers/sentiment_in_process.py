"""The sentiment model's own rates, in process: one sentence at a time, and batches.

No server, no wire: the rate at batches of ``--batch`` is the ceiling that a
batching server can at best approach, and the rate one sentence at a time is
what a server that does not batch has to beat.

    python sentiment_in_process.py --model DIR --sentences FILE --seconds S

``--sentences`` is a JSON list of strings, taken in turn. Both rates are
measured with one torch thread and with one per core, and the better of the
two is kept, so that neither reference is held down by a thread setting.
Prints one JSON object: ``{"one_at_a_time": rate, "batched": rate, "batch":
size, "threads": {"one_at_a_time": n, "batched": n}}``, rates in sentences
per second and ``threads`` the torch threads that gave each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="model folder")
    parser.add_argument("--sentences", type=Path, required=True, help="JSON list")
    parser.add_argument("--seconds", type=float, default=10.0, help="per rate")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--examples", type=Path, help="folder of text_sentiment")
    args = parser.parse_args()
    if args.examples is not None:
        sys.path.insert(0, str(args.examples))
    import torch
    from text_sentiment.classifier import SentimentClassifier

    texts = json.loads(args.sentences.read_text())
    if not texts or not all(isinstance(t, str) for t in texts):
        sys.exit(f"--sentences {args.sentences} must hold a non-empty list of strings")
    model = SentimentClassifier.load(args.model)
    best: dict[str, tuple[float, int]] = {}
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        for name, found in measure(model, texts, args.batch, args.seconds).items():
            if name not in best or found > best[name][0]:
                best[name] = (found, threads)
    print(
        json.dumps(
            {
                **{name: found for name, (found, _) in best.items()},
                "batch": args.batch,
                "threads": {name: threads for name, (_, threads) in best.items()},
            }
        )
    )


def measure(
    model: Any, texts: list[str], batch: int, seconds: float
) -> dict[str, float]:
    """Sentences per second one at a time and in batches of ``batch``."""
    # torch prepares its kernels per input shape: every shape is seen once first.
    model.run_batch(window(texts, 0, batch))
    for text in texts:
        model.run(text)
    return {
        "one_at_a_time": rate(
            lambda i: len([model.run(texts[i % len(texts)])]), seconds
        ),
        "batched": rate(
            lambda i: len(model.run_batch(window(texts, i * batch, batch))), seconds
        ),
    }


def window(texts: list[str], start: int, size: int) -> list[str]:
    """``size`` sentences from ``start`` on, wrapping around."""
    return [texts[(start + k) % len(texts)] for k in range(size)]


def rate(step: Callable[[int], int], seconds: float) -> float:
    """Sentences per second of calling ``step(i)`` (which returns how many it did)."""
    done, index = 0, 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        done += step(index)
        index += 1
    return done / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
