"""The servers under test, each with the calls that load it.

A ``Target`` is a command line plus what to send it; it picks free ports when
it is described, so several targets can run at once and take turns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness import artefacts
from harness.context import Context, free_ports
from harness.features import Features
from harness.loadgen import GrpcCall, HttpCall
from harness.paths import EXAMPLES, LIBS, MODELWIRE, PYTHON, SERVERS
from harness.procs import HarnessError, Pending, ServerProcess, pinned

#: torch's threads in every sentiment process. On a small machine shared with
#: other work, two OpenMP threads that wait for each other at every barrier
#: run several times slower than one; one thread each keeps servers comparable.
SENTIMENT_ENV = {"OMP_NUM_THREADS": "1"}
ECHO_TEXT = "hello, benchmark"
ECHO_REQUEST = {"text": ECHO_TEXT}
#: what the sentiment load sends, in turn: short and long, both polarities
SENTENCES = (
    "The delivery came a day early and everything was intact.",
    "I waited forty minutes and nobody answered the phone.",
    "Lovely staff, clean rooms, and breakfast was better than expected.",
    "The app crashes every time I open the settings page.",
    "Great value.",
    "Terrible.",
    "The battery lasts two full days even with heavy use, which surprised me.",
    "The manual is confusing and half of the screws were missing from the box.",
    "My daughter loves this book and asks for it every night before bed.",
    "The soup was cold and the waiter seemed annoyed that we asked about it.",
    "Setup took five minutes and it has worked flawlessly since.",
    "After the update the printer refuses to connect to the network at all.",
    "A warm, funny film with a cast that clearly enjoyed making it.",
    "The seats were cramped, the flight was late, and the luggage got lost.",
    "Exactly what I needed for the garden; sturdy and easy to clean.",
    "I returned it the next day because the screen had dead pixels.",
)


@dataclass(frozen=True)
class Target:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    grpc: GrpcCall | None = None
    http: HttpCall | None = None

    def process(self, ctx: Context, tag: str, cpus: str | None = None) -> ServerProcess:
        log = ctx.logs / f"{tag}.log"
        return ServerProcess(self.name, pinned(self.argv, cpus), self.env, log)

    def need_grpc(self) -> GrpcCall:
        if self.grpc is None:
            raise HarnessError(f"{self.name} serves no gRPC call here")
        return self.grpc

    def need_http(self) -> HttpCall:
        if self.http is None:
            raise HarnessError(f"{self.name} serves no HTTP call here")
        return self.http


def _address(port: int) -> str:
    return f"127.0.0.1:{port}"


def _argv(*parts: str | Path | int) -> tuple[str, ...]:
    return tuple(str(p) for p in parts)


def _http_args(features: Features, port: int | None) -> list[str | int]:
    """Turns modelwire's gateway on at ``port``, or off when ``port`` is None."""
    if port is not None:
        if not features.http_gateway:
            raise Pending("modelwire serve has no HTTP/JSON gateway (--http-port) yet")
        return ["--http-port", port]
    if features.http_switch:
        return ["--no-http"]
    # A gateway that cannot be switched off at least takes no fixed port.
    return ["--http-port", 0] if features.http_gateway else []


def _gateway_path(package: str, method: str, model_id: str) -> str:
    from modelwire.core.openapi import http_path

    return http_path(package, method, with_model=True).replace("{model_id}", model_id)


# ------------------------------------------------------------------- echo


def modelwire_echo(ctx: Context, *, http: bool = False) -> Target:
    api = artefacts.echo_api(ctx.work)
    grpc_port, http_port = free_ports(2)
    argv = _argv(
        MODELWIRE,
        "serve",
        artefacts.ECHO_LIBRARY,
        "--app-dir",
        LIBS,
        "--models",
        artefacts.echo_models(ctx.work),
        "--port",
        grpc_port,
        "--workers",
        ctx.settings.workers,
        *_http_args(ctx.features, http_port if http else None),
    )
    call = GrpcCall(
        _address(grpc_port),
        api.protoset,
        artefacts.ECHO_METHOD,
        ECHO_REQUEST,
        {"mm-model-id": artefacts.ECHO_MODEL},
    )
    http_call = None
    if http:
        path = _gateway_path("echobench.v1", "Echo", artefacts.ECHO_MODEL)
        http_call = HttpCall(f"http://{_address(http_port)}{path}", ECHO_REQUEST)
    return Target("modelwire", argv, grpc=call, http=http_call)


def handwritten_grpc(ctx: Context) -> Target:
    api = artefacts.echo_api(ctx.work)
    (port,) = free_ports(1)
    argv = _argv(
        PYTHON,
        SERVERS / "handwritten_grpc.py",
        "--stubs",
        api.stubs,
        "--port",
        port,
        "--workers",
        ctx.settings.workers,
    )
    # The same metadata as modelwire gets, so that both receive identical calls.
    call = GrpcCall(
        _address(port),
        api.protoset,
        artefacts.ECHO_METHOD,
        ECHO_REQUEST,
        {"mm-model-id": artefacts.ECHO_MODEL},
    )
    return Target("hand-written grpcio", argv, grpc=call)


def starlette_echo(ctx: Context) -> Target:
    (port,) = free_ports(1)
    argv = _argv(PYTHON, SERVERS / "handwritten_http.py", "--port", port)
    call = HttpCall(f"http://{_address(port)}/echo", ECHO_REQUEST)
    return Target("hand-written Starlette", argv, http=call)


def caikit_echo(ctx: Context, *, http: bool = False) -> Target:
    models = artefacts.caikit_echo_models(ctx.work)
    return _caikit(
        ctx,
        "caikit_echo",
        "EchoTask",
        models,
        artefacts.ECHO_MODEL,
        ECHO_REQUEST,
        http=http,
    )


# -------------------------------------------------------------- sentiment


def sentiment_requests() -> list[dict[str, str]]:
    return [{"text": sentence} for sentence in SENTENCES]


def modelwire_sentiment(ctx: Context, *, batching: bool | None = None) -> Target:
    """The example's model; ``batching`` None leaves modelwire's default."""
    api = artefacts.sentiment_api(ctx.work)
    (port,) = free_ports(1)
    switch: list[str] = []
    if batching is not None:
        if not ctx.features.batching:
            raise Pending("modelwire serve has no --batching/--no-batching yet")
        switch = ["--batching" if batching else "--no-batching"]
    argv = _argv(
        MODELWIRE,
        "serve",
        artefacts.SENTIMENT_LIBRARY,
        "--app-dir",
        EXAMPLES,
        "--models",
        artefacts.sentiment_models(),
        "--port",
        port,
        "--workers",
        ctx.settings.workers,
        *_http_args(ctx.features, None),
        *switch,
    )
    call = GrpcCall(
        _address(port),
        api.protoset,
        artefacts.SENTIMENT_METHOD,
        sentiment_requests(),
        {"mm-model-id": artefacts.SENTIMENT_MODEL},
    )
    name = (
        "modelwire"
        if batching is None
        else f"modelwire, batching {'on' if batching else 'off'}"
    )
    return Target(name, argv, env=SENTIMENT_ENV, grpc=call)


def caikit_sentiment(ctx: Context) -> Target:
    models = artefacts.caikit_sentiment_models(ctx.work, artefacts.sentiment_models())
    return _caikit(
        ctx,
        "caikit_sentiment",
        "SentimentTask",
        models,
        artefacts.SENTIMENT_MODEL,
        sentiment_requests(),
        env=SENTIMENT_ENV,
    )


# ----------------------------------------------------------------- Caikit


def _caikit(
    ctx: Context,
    library: str,
    task: str,
    models: Path,
    model_id: str,
    requests: object,
    *,
    http: bool = False,
    env: Mapping[str, str] | None = None,
) -> Target:
    python = ctx.tools.need("caikit_python")
    api = artefacts.caikit_api(python, ctx.work, library, task)
    grpc_port, http_port = free_ports(2)
    config = artefacts.write_caikit_config(
        ctx.work / "config" / f"{library}-{grpc_port}.yml",
        library,
        models,
        grpc_port=grpc_port,
        http_port=http_port if http else None,
        workers=ctx.settings.workers,
    )
    env = {**artefacts.caikit_env(), **(env or {}), "CONFIG_FILES": str(config)}
    metadata = {"mm-model-id": model_id}
    call = GrpcCall(_address(grpc_port), api.protoset, api.method, requests, metadata)
    http_call = None
    if http:
        # Caikit routes a task by its class name without the Task suffix.
        route = task.removesuffix("Task").lower()
        body = {"model_id": model_id, "inputs": ECHO_TEXT}
        url = f"http://{_address(http_port)}/api/v1/task/{route}"
        http_call = HttpCall(url, body)
    argv = _argv(python, "-m", "caikit.runtime")
    return Target("Caikit", argv, env=env, grpc=call, http=http_call)
