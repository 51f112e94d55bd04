"""The sentiment model's own rates, in process: one sentence at a time, and batches.

No server, no wire: the rate at batches of ``--batch`` is the ceiling that a
batching server can at best approach, and the rate one sentence at a time is
what a server that does not batch has to beat.

    python sentiment_in_process.py --model DIR --sentences FILE --seconds S

``--sentences`` is a JSON list of strings, taken in turn. Prints one JSON
object: ``{"one_at_a_time": rate, "batched": rate, "batch": size}`` in
sentences per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path


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
    from text_sentiment.classifier import SentimentClassifier

    texts = json.loads(args.sentences.read_text())
    if not texts or not all(isinstance(t, str) for t in texts):
        sys.exit(f"--sentences {args.sentences} must hold a non-empty list of strings")
    model = SentimentClassifier.load(args.model)
    batch = args.batch

    # torch prepares its kernels per input shape: every shape is seen once first.
    model.run_batch(window(texts, 0, batch))
    for text in texts:
        model.run(text)

    rates = {
        "one_at_a_time": rate(
            lambda i: len([model.run(texts[i % len(texts)])]), args.seconds
        ),
        "batched": rate(
            lambda i: len(model.run_batch(window(texts, i * batch, batch))),
            args.seconds,
        ),
        "batch": batch,
    }
    print(json.dumps(rates))


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
