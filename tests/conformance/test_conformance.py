"""The driver: every flavour's program calls the live runtime; results match the vectors.

Adding a flavour is one ``PROGRAMS`` entry; tests/conformance/README.md lists
the placeholders its commands may use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.support import (
    APP_DIR,
    LIBRARY,
    PROGRAMS_DIR,
    load_vectors,
    mismatches,
    parse_results,
    write_vectors_file,
)
from modelwire.generator import generate

REPO = Path(__file__).resolve().parents[2]
#: Longest a build or run step may take, in seconds.
STEP_TIMEOUT = 600


@dataclass(frozen=True)
class Program:
    """How to build and run one flavour's conformance program."""

    build: tuple[tuple[str, ...], ...]
    run: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = "{program}"


#: pip installs the package the way a user would; its dependencies come from .venv.
_PIP_INSTALL = (
    *("{python}", "-m", "pip", "install", "--quiet", "--no-deps"),
    *("--no-build-isolation", "--target", "{work}/site", "{client}"),
)

_MVN = ("mvn", "-B", "-q")
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_JAVA_CP = (
    "{client}/target/classes:$(cat {work}/client.classpath)"
    ":$(cat {work}/program.classpath)"
)
#: Shared by every cargo build of the tests (ignored by git).
CARGO_TARGET = "{repo}/tools/cache/cargo-target"


def _classpath(name: str) -> tuple[str, ...]:
    """Maven arguments that write the project's runtime classpath to ``{work}``."""
    return (
        f"{_DEPENDENCY_PLUGIN}:build-classpath",
        f"-Dmdep.outputFile={{work}}/{name}.classpath",
    )


PROGRAMS: dict[str, Program] = {
    "python": Program(
        build=(_PIP_INSTALL,),
        run=("{python}", "{program}/run.py", "{address}", "{vectors}"),
        env={"PYTHONPATH": "{work}/site"},
    ),
    "python-betterproto": Program(
        build=(_PIP_INSTALL,),
        run=("{python}", "{program}/run.py", "{address}", "{vectors}"),
        env={"PYTHONPATH": "{work}/site"},
    ),
    # node_modules are links into tools/ (installed by scripts/setup-clients.sh),
    # so nothing is downloaded; the program imports the client by package name.
    "typescript": Program(
        build=(
            ("ln", "-s", "{repo}/tools/node_modules", "{client}/node_modules"),
            ("{repo}/tools/node_modules/.bin/tsc", "-p", "{client}"),
            ("mkdir", "-p", "{program}/node_modules"),
            ("cp", "-as", "{repo}/tools/node_modules/.", "{program}/node_modules/"),
            ("ln", "-s", "{client}", "{program}/node_modules/conformance-client"),
            ("{repo}/tools/node_modules/.bin/tsc", "-p", "{program}"),
        ),
        run=("node", "{program}/dist/run.js", "{address}", "{vectors}"),
    ),
    # The program's go.mod replaces the client module with ./client.
    "go": Program(
        build=(
            ("go", "-C", "{client}", "vet", "./..."),
            ("ln", "-s", "{client}", "{program}/client"),
            ("go", "build", "-o", "{work}/conformance", "."),
        ),
        run=("{work}/conformance", "{address}", "{vectors}"),
    ),
    # Maven builds the client as a user would (its pom fetches protoc); the
    # program is compiled against the client's classes and both classpaths.
    "java": Program(
        build=(
            (*_MVN, "-f", "{client}/pom.xml", "package", *_classpath("client")),
            (*_MVN, "-f", "{program}/pom.xml", *_classpath("program")),
            ("bash", "-c", f'javac -d {{work}}/classes -cp "{_JAVA_CP}" Main.java'),
        ),
        run=(
            *("bash", "-c", f'exec java -cp "{{work}}/classes:{_JAVA_CP}" Main "$@"'),
            *("java", "{address}", "{vectors}"),
        ),
    ),
    # The program's Cargo.toml depends on the client crate at ./client; one
    # target folder serves every run, so only the client crate is rebuilt.
    "rust": Program(
        build=(
            ("ln", "-s", "{client}", "{program}/client"),
            ("cargo", "build", "--locked", "--quiet"),
        ),
        run=(f"{CARGO_TARGET}/debug/conformance-program", "{address}", "{vectors}"),
        env={"CARGO_TARGET_DIR": CARGO_TARGET},
    ),
}


@pytest.fixture(scope="module")
def vectors_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vectors")
    return write_vectors_file(load_vectors(), folder / "vectors.json")


@dataclass
class Outcome:
    """One flavour's program run: its generated package and what it printed."""

    client: Path
    stdout: str


@pytest.fixture(scope="module")
def run_flavour(
    tmp_path_factory: pytest.TempPathFactory, vectors_file: Path, conformance_runtime
):
    """``run_flavour(name)`` generates, builds and runs a flavour once per module."""
    outcomes: dict[str, Outcome] = {}

    def run(flavour: str) -> Outcome:
        if flavour not in outcomes:
            root = tmp_path_factory.mktemp(f"conformance-{flavour}")
            outcomes[flavour] = _generate_build_run(
                flavour, root, conformance_runtime.address, vectors_file
            )
        return outcomes[flavour]

    return run


@pytest.mark.parametrize("flavour", sorted(PROGRAMS))
def test_flavour_agrees_with_every_vector(flavour, run_flavour, message_classes):
    """The flavour's program, through its generated client, gives every vector's answer."""
    outcome = run_flavour(flavour)
    problems = mismatches(
        load_vectors(), parse_results(outcome.stdout), message_classes
    )
    assert problems == [], "\n".join(problems)


def test_typescript_json_keeps_proto_names(run_flavour):
    """C11: shadowing names are escaped in TypeScript identifiers only, never in JSON."""
    outcome = run_flavour("typescript")
    results = parse_results(outcome.stdout)
    names = results["names/shadowing"]["response"]
    assert {"constructor", "toString", "valueOf"} <= set(names)
    assert set(results["node/wrap"]["response"]) == {
        "from",
        "descriptor",
        "all_fields",
        "class",
    }
    types = (
        outcome.client / "src/gen/conformance/v1/conformance_types_pb.ts"
    ).read_text(encoding="utf-8")
    assert "constructor$: string;" in types
    assert "toString$: string;" in types
    # protobuf-es drops the shared prefix in TypeScript; JSON keeps KIND_CONSTRUCTOR.
    assert "CONSTRUCTOR = 1," in types
    assert "TO_STRING = 2," in types


def _generate_build_run(
    flavour: str, root: Path, address: str, vectors: Path
) -> Outcome:
    out = root / "out"
    lock = root / "modelwire.lock.json"
    shutil.copy(APP_DIR / LIBRARY / "modelwire.lock.json", lock)
    generate(LIBRARY, out, app_dir=APP_DIR, lock_path=lock, clients=[flavour])
    program = PROGRAMS[flavour]
    places = {
        "client": str(out / "clients" / flavour),
        "program": str(_copy_program(flavour, root / "program")),
        "work": str(root / "work"),
        "repo": str(REPO),
        "python": sys.executable,
    }
    for step in program.build:
        _run([s.format(**places) for s in step], program, places)
    places |= {"address": address, "vectors": str(vectors)}
    stdout = _run([s.format(**places) for s in program.run], program, places)
    return Outcome(out / "clients" / flavour, stdout)


def _copy_program(flavour: str, target: Path) -> Path:
    shutil.copytree(PROGRAMS_DIR / flavour, target)
    return target


def _run(command: list[str], program: Program, places: dict[str, str]) -> str:
    Path(places["work"]).mkdir(exist_ok=True)
    env = {**os.environ, **{k: v.format(**places) for k, v in program.env.items()}}
    result = subprocess.run(
        command,
        cwd=program.cwd.format(**places),
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result.stdout


def test_java_names_that_clash_with_generated_methods(run_flavour):
    """C10: from/descriptor/all_fields/class compile in Java; JSON keeps their names."""
    outcome = run_flavour("java")
    results = parse_results(outcome.stdout)
    # protobuf-java prints JSON names (allFields); none carries a Java escape.
    wrapped = results["node/wrap"]["response"]
    assert set(wrapped) == {"from", "descriptor", "allFields", "class"}
    assert set(wrapped["from"]) == {"descriptor", "allFields", "class"}
    proto = (
        outcome.client / "src/main/proto/conformance/v1/conformance_types.proto"
    ).read_text(encoding="utf-8")
    # getDescriptor() is protobuf-java's own static method: the field is renamed
    # in Java only, and its JSON name stays "descriptor".
    assert 'descriptor_field = 2 [json_name = "descriptor"];' in proto
