"""The text-sentiment demo: generate the API, serve a real model, call it over gRPC.

Steps, each as a user would run it:
1. train the sentiment head on the bundled encoder (once; cached in build/demo),
2. ``modelwire generate text_sentiment`` writes the .proto files,
3. ``grpc_tools.protoc`` compiles them into Python stubs,
4. ``modelwire serve text_sentiment`` starts the runtime on a free port,
5. ``sentiment_client/classify.py`` (stubs only, no modelwire) sends sentences.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
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

    models = work / "models"
    if not (models / "sentiment" / "config.yml").exists():
        step("training the sentiment head on the bundled sentence encoder")
        train_default_model(models / "sentiment")
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
    step("starting the runtime")
    return serve_and_call(models, work / "stubs", args.sentences or SENTENCES)


def train_default_model(target: Path) -> None:
    sys.path.insert(0, str(EXAMPLES))
    from text_sentiment.training import build_default_model

    build_default_model(target)


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
        step(f"runtime listening on {address}; calling it from a separate client")
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
            return found.group(1)
        if " ERROR " in line:
            sys.stderr.write(line)
    raise SystemExit("the runtime exited before it started serving")


def run(command: list[object]) -> None:
    subprocess.run([str(c) for c in command], check=True)


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
