"""Every flavour's generated client makes streaming calls against a live runtime.

The rtlib library has one task of each streaming shape. For each flavour its
package is generated, built with the language's own toolchain, and a small
program under ``streaming/<flavour>/`` makes one server-streaming, one
client-streaming and one bidirectional call. Python and Go wrap all three in
the typed client; TypeScript, Java and Rust wrap only the server stream, and
their programs make the other two through the raw stub their README names.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance.test_conformance import (
    _JAVA_CP,
    _MVN,
    _PIP_INSTALL,
    CARGO_TARGET,
    REPO,
    Program,
    _classpath,
    _run,
)
from runtime.support import MODELS, write_models

from modelwire.generator import generate
from modelwire.runtime.server import Runtime, ServerSettings, create_runtime

PROGRAMS_DIR = Path(__file__).resolve().parent / "streaming"

_PYTHON_RUN = ("{python}", "{program_root}/python/run.py", "{address}")

PROGRAMS: dict[str, Program] = {
    "python": Program(
        build=(_PIP_INSTALL,),
        run=(*_PYTHON_RUN, "wiretest_client"),
        env={"PYTHONPATH": "{work}/site"},
    ),
    "python-betterproto": Program(
        build=(_PIP_INSTALL,),
        run=(*_PYTHON_RUN, "wiretest_client_betterproto"),
        env={"PYTHONPATH": "{work}/site"},
    ),
    "typescript": Program(
        build=(
            ("ln", "-s", "{repo}/tools/node_modules", "{client}/node_modules"),
            ("{repo}/tools/node_modules/.bin/tsc", "-p", "{client}"),
            ("mkdir", "-p", "{program}/node_modules"),
            ("cp", "-as", "{repo}/tools/node_modules/.", "{program}/node_modules/"),
            ("ln", "-s", "{client}", "{program}/node_modules/wiretest-client"),
            ("{repo}/tools/node_modules/.bin/tsc", "-p", "{program}"),
        ),
        run=("node", "{program}/dist/run.js", "{address}"),
    ),
    "go": Program(
        build=(
            ("go", "-C", "{client}", "vet", "./..."),
            ("ln", "-s", "{client}", "{program}/client"),
            ("go", "vet", "."),
            ("go", "build", "-o", "{work}/streaming", "."),
        ),
        run=("{work}/streaming", "{address}"),
    ),
    # The program needs nothing beyond the client's own classpath, so the
    # program classpath the shared command line reads stays empty.
    "java": Program(
        build=(
            (*_MVN, "-f", "{client}/pom.xml", "package", *_classpath("client")),
            ("touch", "{work}/program.classpath"),
            ("bash", "-c", f'javac -d {{work}}/classes -cp "{_JAVA_CP}" Main.java'),
        ),
        run=(
            *("bash", "-c", f'exec java -cp "{{work}}/classes:{_JAVA_CP}" Main "$@"'),
            *("java", "{address}"),
        ),
    ),
    "rust": Program(
        build=(
            ("ln", "-s", "{client}", "{program}/client"),
            ("cargo", "build", "--locked", "--quiet"),
        ),
        run=(f"{CARGO_TARGET}/debug/streaming-program", "{address}"),
        env={"CARGO_TARGET_DIR": CARGO_TARGET},
    ),
}

#: What every program prints: Count(n=4); Sum of 1, 2, 3 scaled by 2 (set on
#: the first message); RunningSum of 5, 6, 7 as [total, count] pairs.
EXPECTED = [
    {"call": "count", "items": [0, 1, 2, 3]},
    {"call": "sum", "total": 12, "count": 3},
    {"call": "running", "totals": [[5, 1], [11, 2], [18, 3]]},
]


@pytest.fixture(scope="module")
def rtlib_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    models = write_models(tmp_path_factory.mktemp("streaming_models"), MODELS)
    settings = ServerSettings(port=0, workers=4)
    with create_runtime("rtlib", models, settings) as server:
        yield server


@pytest.mark.parametrize("flavour", sorted(PROGRAMS))
def test_flavour_streams_in_every_shape(
    flavour: str, rtlib_runtime: Runtime, tmp_path: Path
) -> None:
    """The program's three calls through the generated package return exactly EXPECTED."""
    stdout = _generate_build_run(flavour, tmp_path, rtlib_runtime.address)
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert lines == EXPECTED


def _generate_build_run(flavour: str, root: Path, address: str) -> str:
    out = root / "out"
    generate("rtlib", out, lock_path=root / "modelwire.lock.json", clients=[flavour])
    program_dir = PROGRAMS_DIR / ("python" if flavour.startswith("python") else flavour)
    program = PROGRAMS[flavour]
    places = {
        "client": str(out / "clients" / flavour),
        "program": str(shutil.copytree(program_dir, root / "program")),
        "program_root": str(PROGRAMS_DIR),
        "work": str(root / "work"),
        "repo": str(REPO),
        "python": sys.executable,
    }
    for step in program.build:
        _run([s.format(**places) for s in step], program, places)
    places["address"] = address
    return _run([s.format(**places) for s in program.run], program, places)
