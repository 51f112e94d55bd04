"""A client built only from the emitted .proto files: no modelwire import.

It lives in its own folder so that the stubs' ``text_sentiment`` package is not
shadowed by the example library of the same name.

This is what another team does with the generated API: compile the .proto
files with protoc and call the service with the model id in the metadata.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc


def main() -> int:
    parser = argparse.ArgumentParser(description="Classify sentences over gRPC.")
    parser.add_argument(
        "--stubs", type=Path, required=True, help="protoc output folder"
    )
    parser.add_argument("--address", default="127.0.0.1:8085")
    parser.add_argument("--model", default="sentiment", help="model id (mm-model-id)")
    parser.add_argument("sentences", nargs="+")
    args = parser.parse_args()

    sys.path.insert(0, str(args.stubs))
    from text_sentiment.v1 import text_sentiment_service_pb2 as api
    from text_sentiment.v1 import text_sentiment_service_pb2_grpc as api_grpc
    from text_sentiment.v1 import text_sentiment_types_pb2 as types

    with grpc.insecure_channel(args.address) as channel:
        stub = api_grpc.TextSentimentServiceStub(channel)
        for sentence in args.sentences:
            reply = stub.ClassifySentiment(
                api.ClassifySentimentRequest(text=sentence),
                metadata=[("mm-model-id", args.model)],
                timeout=30,
            )
            label = types.Sentiment.Name(reply.label).removeprefix("SENTIMENT_")
            print(f"{label:<8} {reply.confidence:6.1%}  {sentence}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
