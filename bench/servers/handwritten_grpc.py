"""The floor for a Python gRPC server: a hand-written grpcio servicer.

It serves ``echobench.v1.EchobenchService/Echo`` with the messages protoc
compiles from the .proto files that ``modelwire generate`` writes for
``mw_echo``, so ghz sends it exactly what it sends modelwire.

    python handwritten_grpc.py --stubs DIR --port N [--workers 8]
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from concurrent import futures
from types import FrameType
from typing import Any

import grpc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stubs", required=True, help="folder of compiled stubs")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    sys.path.insert(0, args.stubs)
    pb = importlib.import_module("echobench.v1.echobench_service_pb2")
    pb_grpc = importlib.import_module("echobench.v1.echobench_service_pb2_grpc")

    class Echo(pb_grpc.EchobenchServiceServicer):
        def Echo(self, request: Any, context: grpc.ServicerContext) -> Any:
            return pb.EchoResponse(text=request.text)

    pool = futures.ThreadPoolExecutor(max_workers=args.workers)
    server = grpc.server(pool)
    pb_grpc.add_EchobenchServiceServicer_to_server(Echo(), server)
    if server.add_insecure_port(f"127.0.0.1:{args.port}") == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}")
    server.start()
    stop_on_signal(server)
    server.wait_for_termination()


def stop_on_signal(server: grpc.Server) -> None:
    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        # stop() blocks until calls drain; a signal handler must not.
        threading.Thread(target=server.stop, args=(0,), daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


if __name__ == "__main__":
    main()
