"""Single calls: is a server answering yet, and does it answer correctly?

The probe builds its request from the same protoset that ghz loads, so it
checks the exact call that the load will make.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    json_format,
    message_factory,
)

from harness.loadgen import GrpcCall, HttpCall
from harness.procs import HarnessError, ServerProcess

#: Reconnect quickly: grpc's default backoff (1 s and up) would be measured
#: as start-up time.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 5),
    ("grpc.min_reconnect_backoff_ms", 5),
    ("grpc.max_reconnect_backoff_ms", 20),
]
_RETRY_PAUSE = 0.005


@cache
def _pool(protoset: Path) -> descriptor_pool.DescriptorPool:
    files = descriptor_pb2.FileDescriptorSet.FromString(protoset.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return pool


def grpc_caller(call: GrpcCall) -> Callable[[grpc.Channel, float], dict[str, Any]]:
    """A function that makes ``call`` once on a channel and returns the response."""
    service_name, method_name = call.method.split("/")
    pool = _pool(call.protoset)
    method = pool.FindServiceByName(service_name).FindMethodByName(method_name)
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    first = call.data[0] if isinstance(call.data, list) else call.data
    request = json_format.ParseDict(first, request_class()).SerializeToString()
    path = f"/{call.method}"
    metadata = tuple(call.metadata.items())

    def invoke(channel: grpc.Channel, timeout: float) -> dict[str, Any]:
        stub = channel.unary_unary(path)
        raw = stub(request, timeout=timeout, metadata=metadata, wait_for_ready=True)
        return json_format.MessageToDict(response_class.FromString(raw))

    return invoke


def first_grpc_answer(
    server: ServerProcess, call: GrpcCall, deadline: float
) -> tuple[float, dict[str, Any]]:
    """Seconds from the server's launch to its first answer, and that answer."""
    invoke = grpc_caller(call)
    last = "no call made"
    with grpc.insecure_channel(call.address, options=_CHANNEL_OPTIONS) as channel:
        while True:
            server.check_alive()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise HarnessError(f"{server.name} did not answer in time: {last}")
            try:
                answer = invoke(channel, min(left, 0.5))
            except grpc.RpcError as exc:
                last = f"{exc.code().name}: {exc.details()}"
                time.sleep(_RETRY_PAUSE)
                continue
            return time.perf_counter() - server.launched_at, answer


def http_post(call: HttpCall, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(
        call.url,
        data=json.dumps(call.body).encode(),
        headers={"Content-Type": "application/json", **call.headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def first_http_answer(
    server: ServerProcess, call: HttpCall, deadline: float
) -> tuple[float, dict[str, Any]]:
    last = "no call made"
    while True:
        server.check_alive()
        left = deadline - time.perf_counter()
        if left <= 0:
            raise HarnessError(f"{server.name} did not answer in time: {last}")
        try:
            answer = http_post(call, min(left, 2.0))
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = str(exc)
            time.sleep(_RETRY_PAUSE)
            continue
        return time.perf_counter() - server.launched_at, answer
