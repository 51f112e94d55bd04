"""The text-sentiment demo: generate the API, train a model over gRPC, call it.

Steps, each as a user would run it:
1. ``modelwire generate text_sentiment`` writes the .proto files,
2. ``grpc_tools.protoc`` compiles them into Python stubs,
3. ``modelwire serve text_sentiment`` starts the runtime on free ports with an
   empty models directory,
4. ``sentiment_client/train.py`` (stubs only, no modelwire) sends the shipped
   training sentences in the train RPC and polls until the model is COMPLETED,
5. ``sentiment_client/classify.py`` (stubs only) classifies sentences with it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SENTENCES = [
    "The support team answered within minutes and fixed my problem.",
    "This blender broke after two days and the refund took a month.",
    "What a wonderful little bakery, the croissants were perfect.",
    "The hotel room smelled of smoke and the shower was cold.",
    "I was not disappointed at all, it exceeded every expectation.",
    "Honestly, the sequel is a tedious mess with no redeeming qualities.",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", type=Path, default=EXAMPLES.parent / "build" / "demo"
    )
    parser.add_argument("sentences", nargs="*", help="sentences to classify")
    args = parser.parse_args()
    work = args.workdir.resolve()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    step("generating the API")
    run(
        [
            BIN / "modelwire",
            "generate",
            "text_sentiment",
            "--app-dir",
            EXAMPLES,
            "--out",
            work / "api",
        ]
    )
    step("compiling the .proto files with grpc_tools.protoc")
    compile_stubs(work / "api", work / "stubs")
    step("starting the runtime with an empty models directory")
    models = work / "models"
    # Each run trains afresh, through the API.
    shutil.rmtree(models, ignore_errors=True)
    models.mkdir(parents=True)
    return serve_and_call(models, work / "stubs", args.sentences or SENTENCES)


def compile_stubs(proto_root: Path, out: Path) -> None:
    import grpc_tools

    out.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{proto_root}",
            f"-I{include}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            *files,
        ]
    )


def serve_and_call(models: Path, stubs: Path, sentences: list[str]) -> int:
    command = [
        BIN / "modelwire",
        "serve",
        "text_sentiment",
        "--models",
        models,
        "--port",
        "0",
        "--http-port",
        "0",
        "--app-dir",
        EXAMPLES,
    ]
    server = subprocess.Popen(
        [str(c) for c in command], stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )
    try:
        address = wait_for_address(server)
        step(f"runtime listening on {address}; training over gRPC from a client")
        trainer = [sys.executable, EXAMPLES / "sentiment_client" / "train.py"]
        trainer += ["--stubs", stubs, "--address", address, "--model", "sentiment"]
        trainer += ["--examples", EXAMPLES / "text_sentiment" / "train_data.jsonl"]
        if subprocess.run([str(c) for c in trainer], check=False).returncode != 0:
            return 1
        step("classifying with the trained model from a separate client")
        client = [
            sys.executable,
            EXAMPLES / "sentiment_client" / "classify.py",
            "--stubs",
            stubs,
            "--address",
            address,
            "--model",
            "sentiment",
            *sentences,
        ]
        return subprocess.run([str(c) for c in client], check=False).returncode
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def wait_for_address(server: subprocess.Popen[str]) -> str:
    assert server.stderr is not None
    for line in server.stderr:
        found = re.search(r"serving \S+ on (\S+:\d+)", line)
        if found:
            # Keep reading, so that a full pipe never blocks the server.
            threading.Thread(
                target=_echo_errors, args=(server.stderr,), daemon=True
            ).start()
            return found.group(1)
        if " ERROR " in line:
            sys.stderr.write(line)
    raise SystemExit("the runtime exited before it started serving")


def _echo_errors(lines: Iterable[str]) -> None:
    for line in lines:
        if " ERROR " in line:
            sys.stderr.write(line)


def run(command: list[object]) -> None:
    subprocess.run([str(c) for c in command], check=True)


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
