"""Trains a sentiment model over gRPC, from a client built only from the .proto files.

The examples are read here, on the client, and sent in the train request
(``--examples``), or named as a file of the server's data directory
(``--data-file``). The script waits for the training to finish, printing
its progress, and exits 0 once the model is COMPLETED (and served).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import grpc

POLL_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description="Train a sentiment model over gRPC.")
    parser.add_argument("--stubs", type=Path, required=True, help="protoc output")
    parser.add_argument("--address", default="127.0.0.1:8085")
    parser.add_argument("--model", default="sentiment", help="model id to train")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--examples", type=Path, help="JSON Lines file to send")
    source.add_argument("--data-file", help="file in the server's data directory")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait")
    args = parser.parse_args()

    sys.path.insert(0, str(args.stubs))
    from text_sentiment.v1 import text_sentiment_management_pb2 as mgmt
    from text_sentiment.v1 import text_sentiment_management_pb2_grpc as mgmt_grpc

    request = mgmt.TrainSentimentClassifierRequest(model_name=args.model)
    if args.examples:
        request.examples.extend(read_examples(args.examples))
    else:
        request.examples_file = args.data_file
    with grpc.insecure_channel(args.address) as channel:
        stub = mgmt_grpc.TrainingServiceStub(channel)
        submitted = stub.TrainSentimentClassifier(request, timeout=60)
        print(f"training {submitted.training_id} submitted", flush=True)
        status = wait(stub, mgmt, submitted.training_id, args.timeout)
    state = mgmt.TrainingState.Name(status.state).removeprefix("TRAINING_STATE_")
    took = status.completed_at.ToDatetime() - status.submitted_at.ToDatetime()
    print(f"training {state} after {took.total_seconds():.1f} s {status.error}")
    return 0 if state == "COMPLETED" else 1


def read_examples(path: Path) -> list[Any]:
    """``{"text": ..., "label": "POSITIVE"}`` rows as ``LabelledText`` messages."""
    from text_sentiment.v1 import text_sentiment_types_pb2 as types

    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            label = types.Sentiment.Value("SENTIMENT_" + row["label"].upper())
            examples.append(types.LabelledText(text=row["text"], label=label))
    return examples


def wait(stub: Any, mgmt: Any, training_id: str, timeout: float) -> Any:
    """Polls GetTrainingStatus until the training finishes, printing progress."""
    request = mgmt.GetTrainingStatusRequest(training_id=training_id)
    finished = {mgmt.TRAINING_STATE_COMPLETED, mgmt.TRAINING_STATE_CANCELED}
    finished.add(mgmt.TRAINING_STATE_ERRORED)
    deadline = time.monotonic() + timeout
    shown = ""
    while True:
        status = stub.GetTrainingStatus(request, timeout=30)
        if status.state in finished:
            return status
        line = f"  {status.progress:4.0%} {status.progress_message}"
        if status.HasField("progress") and line != shown:
            print(line, flush=True)
            shown = line
        if time.monotonic() > deadline:
            raise SystemExit(f"training {training_id} did not finish in {timeout} s")
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
