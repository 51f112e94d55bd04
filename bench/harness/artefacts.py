"""What the servers under test load: generated APIs, protosets, stubs, model folders.

Each function builds its artefact once per run under the work folder and
returns where it is; the trained sentiment model is kept across runs, keyed
by a hash of the example's sources.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import grpc_tools
import yaml
from google.protobuf import descriptor_pb2

from harness.paths import BENCH, EXAMPLES, LIBS, MODELWIRE, PYTHON, SRC, WORK
from harness.procs import HarnessError, run_command

logger = logging.getLogger(__name__)
WELL_KNOWN_PROTOS = Path(grpc_tools.__file__).parent / "_proto"
#: the echo library modelwire serves, and its proto service
ECHO_LIBRARY = "mw_echo"
ECHO_METHOD = "echobench.v1.EchobenchService/Echo"
SENTIMENT_LIBRARY = "text_sentiment"
SENTIMENT_METHOD = "text_sentiment.v1.TextSentimentService/ClassifySentiment"
#: model ids, the same on every server
ECHO_MODEL = "echo"
SENTIMENT_MODEL = "sentiment"


@dataclass(frozen=True)
class Api:
    protoset: Path
    #: Python stubs compiled by protoc, importable from this folder
    stubs: Path


def compile_protos(proto_root: Path, entry: str, out: Path) -> Api:
    """A protoset of ``entry`` and its imports, and Python stubs of every file."""
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(
        p.relative_to(proto_root).as_posix() for p in proto_root.rglob("*.proto")
    )
    protoset = out / "api.protoset"
    protoc = [
        PYTHON,
        "-m",
        "grpc_tools.protoc",
        f"-I{proto_root}",
        f"-I{WELL_KNOWN_PROTOS}",
    ]
    run_command(
        [*protoc, f"--descriptor_set_out={protoset}", "--include_imports", entry],
        timeout=120,
    )
    stubs = out / "stubs"
    stubs.mkdir(exist_ok=True)
    run_command(
        [*protoc, f"--python_out={stubs}", f"--grpc_python_out={stubs}", *files],
        timeout=120,
    )
    return Api(protoset, stubs)


def byte_compile() -> None:
    """Writes the bytecode caches of modelwire's sources and the bench libraries.

    An installed package gets them at install time; an editable checkout run
    with PYTHONDONTWRITEBYTECODE never would, and every server start would
    compile modelwire from source, which cold start would measure.
    """
    folders = [SRC, LIBS, EXAMPLES, BENCH / "servers"]
    run_command([PYTHON, "-m", "compileall", "-q", *folders], timeout=300)


@cache
def echo_api(work: Path) -> Api:
    out = work / "api" / "echo"
    _generate(ECHO_LIBRARY, LIBS, out / "proto", lock=None)
    return compile_protos(out / "proto", "echobench/v1/echobench_service.proto", out)


@cache
def sentiment_api(work: Path) -> Api:
    out = work / "api" / "sentiment"
    # A copy of the committed lock, so that the run never rewrites the example's.
    lock = out / "modelwire.lock.json"
    lock.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLES / SENTIMENT_LIBRARY / "modelwire.lock.json", lock)
    _generate(SENTIMENT_LIBRARY, EXAMPLES, out / "proto", lock=lock)
    entry = "text_sentiment/v1/text_sentiment_service.proto"
    return compile_protos(out / "proto", entry, out)


def _generate(library: str, app_dir: Path, out: Path, lock: Path | None) -> None:
    argv = [MODELWIRE, "generate", library, "--app-dir", app_dir, "--out", out]
    if lock is not None:
        argv += ["--lock", lock]
    run_command(argv, timeout=300)


# ----------------------------------------------------------------- Caikit


@dataclass(frozen=True)
class CaikitApi:
    protoset: Path
    #: ``package.Service/Method`` of the task's unary predict RPC
    method: str


def caikit_env() -> dict[str, str]:
    """Caikit's libraries live in bench/libs; its sentiment module needs the example."""
    return {"PYTHONPATH": f"{LIBS}:{EXAMPLES}:{SRC}"}


@cache
def caikit_api(python: Path, work: Path, library: str, task: str) -> CaikitApi:
    """Caikit's generated API for ``library``: dumped, then compiled to a protoset."""
    out = work / "api" / library
    config = write_caikit_config(out / "dump.yml", library, out, grpc_port=0)
    protos = out / "proto"
    shutil.rmtree(protos, ignore_errors=True)
    env = {**caikit_env(), "CONFIG_FILES": str(config)}
    run_command(
        [python, "-m", "caikit.runtime.dump_services", protos], timeout=300, env=env
    )
    method_name = f"{task}Predict"
    for path in sorted(protos.glob("*.proto")):
        protoset = out / f"{path.stem}.protoset"
        _caikit_protoset(protos, path.name, protoset)
        service = _service_with(protoset, method_name)
        if service is not None:
            return CaikitApi(protoset, f"{service}/{method_name}")
    raise HarnessError(f"Caikit generated no service with {method_name} for {library}")


def _caikit_protoset(protos: Path, entry: str, out: Path) -> None:
    protoc = [
        PYTHON,
        "-m",
        "grpc_tools.protoc",
        f"-I{protos}",
        f"-I{WELL_KNOWN_PROTOS}",
    ]
    run_command(
        [*protoc, f"--descriptor_set_out={out}", "--include_imports", entry],
        timeout=120,
    )


def _service_with(protoset: Path, method: str) -> str | None:
    files = descriptor_pb2.FileDescriptorSet.FromString(protoset.read_bytes())
    for file in files.file:
        for service in file.service:
            if any(m.name == method for m in service.method):
                return f"{file.package}.{service.name}"
    return None


def write_caikit_config(
    path: Path,
    library: str,
    models: Path,
    *,
    grpc_port: int,
    http_port: int | None = None,
    workers: int = 8,
) -> Path:
    """A Caikit config overlay: one library, one models folder, our ports."""
    runtime = {
        "library": library,
        "local_models_dir": str(models),
        "server_thread_pool_size": workers,
        "grpc": {"enabled": True, "port": grpc_port, "unix_socket_path": None},
        "http": {"enabled": http_port is not None, "port": http_port or 0},
        # Its Prometheus endpoint would need one more port per server; the
        # metrics interceptor on every call stays, as Caikit always runs it.
        "metrics": {"enabled": False},
    }
    config = {"runtime": runtime, "log": {"level": "warning"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# ----------------------------------------------------------------- models


def model_folder(models: Path, model_id: str, settings: dict[str, str]) -> Path:
    folder = models / model_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return models


def echo_models(work: Path) -> Path:
    return model_folder(
        work / "models" / "mw-echo", ECHO_MODEL, {"module_id": "mw_echo.echo"}
    )


def caikit_echo_models(work: Path) -> Path:
    module_id = _caikit_module_id("caikit_echo")
    return model_folder(
        work / "models" / "caikit-echo", ECHO_MODEL, {"module_id": module_id}
    )


def sentiment_models() -> Path:
    """The example's default model, trained once per version of the example."""
    models = WORK / "sentiment-models" / _example_hash()
    target = models / SENTIMENT_MODEL
    if not (target / "config.yml").exists():
        logger.info("training the default sentiment model into %s", target)
        train = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from text_sentiment.training import build_default_model; "
            "build_default_model(Path(sys.argv[2]))"
        )
        run_command([PYTHON, "-c", train, EXAMPLES, target], timeout=900)
    return models


def caikit_sentiment_models(work: Path, modelwire_models: Path) -> Path:
    settings = {
        "module_id": _caikit_module_id("caikit_sentiment"),
        "model_folder": str(modelwire_models / SENTIMENT_MODEL),
    }
    return model_folder(work / "models" / "caikit-sentiment", SENTIMENT_MODEL, settings)


def _caikit_module_id(library: str) -> str:
    # Read from the library's source: importing it needs Caikit's own venv.
    source = (LIBS / library / "__init__.py").read_text()
    for line in source.splitlines():
        if line.startswith("MODULE_ID = "):
            return line.split("=", 1)[1].strip().strip('"')
    raise HarnessError(f"{library} declares no MODULE_ID")


def _example_hash() -> str:
    digest = hashlib.sha256()
    folder = EXAMPLES / SENTIMENT_LIBRARY
    for path in sorted(folder.glob("*.py")) + sorted(folder.glob("*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
