"""Text-sentiment throughput with 32 concurrent callers: batching off, on, and the ceiling.

The ceiling is the model's own in-process rate at batch size 32; the floor to
beat with batching off is its in-process rate one sentence at a time. Both
servers run as separate processes (``modelwire serve``) and are loaded by a
client thread pool in this process, alternating so that machine drift hits
both alike.

    .venv/bin/python bench/sentiment_batching.py [--seconds 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
METHOD = "/text_sentiment.v1.TextSentimentService/ClassifySentiment"
CALLERS = 32


def sentences() -> list[str]:
    rows = (EXAMPLES / "text_sentiment" / "train_data.jsonl").read_text(
        encoding="utf-8"
    )
    return [json.loads(line)["text"] for line in rows.splitlines()][:256]


def in_process_rates(
    model_dir: Path, texts: list[str], seconds: float
) -> dict[str, float]:
    from text_sentiment.classifier import SentimentClassifier

    model = SentimentClassifier.load(model_dir)
    # Warm-up over every batch and every sentence: torch prepares kernels per
    # input shape, and the first call of each padded length is far slower.
    for start in range(0, len(texts), 32):
        model.run_batch(_window(texts, start, 32))
    for text in texts:
        model.run(text)
    return {
        "one_at_a_time": _rate(lambda i: [model.run(texts[i % len(texts)])], seconds),
        "batch_32": _rate(
            lambda i: model.run_batch(_window(texts, i * 32, 32)), seconds
        ),
    }


def _window(texts: list[str], start: int, size: int) -> list[str]:
    return [texts[(start + k) % len(texts)] for k in range(size)]


def _rate(step: Any, seconds: float) -> float:
    done, i = 0, 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        done += len(step(i))
        i += 1
    return done / (time.perf_counter() - started)


def served_rate(
    models: Path, batching: bool, texts: list[str], seconds: float
) -> float:
    command = [
        str(BIN / "modelwire"),
        "serve",
        "text_sentiment",
        "--models",
        str(models),
    ]
    command += [
        "--port",
        "0",
        "--no-http",
        "--app-dir",
        str(EXAMPLES),
        "--workers",
        "40",
    ]
    command += [] if batching else ["--no-batching"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        address = _address(server)
        return _load(address, texts, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _address(server: subprocess.Popen[str]) -> str:
    assert server.stderr is not None
    for line in server.stderr:
        found = re.search(r"serving \S+ on (\S+:\d+)", line)
        if found:
            threading.Thread(target=server.stderr.read, daemon=True).start()
            return found.group(1)
    raise RuntimeError("the server exited before serving")


def _load(address: str, texts: list[str], seconds: float) -> float:
    from text_sentiment import ClassifySentiment  # noqa: F401 - registers the types

    from modelwire import REGISTRY

    request_class = REGISTRY.message_class("text_sentiment.v1.ClassifySentimentRequest")
    payloads = [request_class(text=t).SerializeToString() for t in texts]
    metadata = [("mm-model-id", "sentiment")]
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(METHOD)
        for payload in payloads[:64]:  # warm-up, also loads the model's caches
            call(payload, metadata=metadata, timeout=60)
        counts = [0] * CALLERS
        stop = time.perf_counter() + seconds

        def caller(index: int) -> None:
            i = index
            while time.perf_counter() < stop:
                call(payloads[i % len(payloads)], metadata=metadata, timeout=60)
                counts[index] += 1
                i += CALLERS

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CALLERS) as pool:
            list(pool.map(caller, range(CALLERS)))
        return sum(counts) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    sys.path.insert(0, str(EXAMPLES))
    from text_sentiment.training import build_default_model

    texts = sentences()
    rates: dict[str, list[float]] = {"one": [], "batch": [], "off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        build_default_model(models / "sentiment")
        # Every configuration is measured once per round, so a slow stretch of
        # a shared machine lowers all of them rather than one.
        for _ in range(args.rounds):
            ceiling = in_process_rates(models / "sentiment", texts, args.seconds)
            rates["one"].append(ceiling["one_at_a_time"])
            rates["batch"].append(ceiling["batch_32"])
            for mode in ("off", "on"):
                rates[mode].append(
                    served_rate(models, mode == "on", texts, args.seconds)
                )
    result = _summary(rates)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sentiment_batching.json").write_text(
        json.dumps(result, indent=2) + "\n"
    )
    print(_table(result))
    return 0


def _summary(rates: dict[str, list[float]]) -> dict[str, Any]:
    best = {mode: max(values) for mode, values in rates.items()}
    return {
        "callers": CALLERS,
        "in_process_one_at_a_time": best["one"],
        "in_process_batch_32": best["batch"],
        "served_batching_off": best["off"],
        "served_batching_on": best["on"],
        "runs": rates,
        "on_vs_ceiling": best["on"] / best["batch"],
        "off_vs_one_at_a_time": best["off"] / best["one"],
    }


def _table(r: dict[str, Any]) -> str:
    rows = [
        ("in-process, one at a time", r["in_process_one_at_a_time"], ""),
        ("in-process, batches of 32 (ceiling)", r["in_process_batch_32"], "1.00x"),
        (
            "served, batching off",
            r["served_batching_off"],
            f"{r['off_vs_one_at_a_time']:.2f}x one-at-a-time",
        ),
        (
            "served, batching on",
            r["served_batching_on"],
            f"{r['on_vs_ceiling']:.2f}x ceiling",
        ),
    ]
    lines = ["| configuration | sentences/s | ratio |", "| --- | ---: | --- |"]
    lines += [f"| {name} | {rate:.0f} | {ratio} |" for name, rate, ratio in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
