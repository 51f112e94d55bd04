"""The generator's cost on synthetic libraries of 10, 100 and 1000 modules.

Each module has its own task and its own input and output data objects, in
its own Python file, so the library grows the way a real one would. A run is
a fresh ``modelwire generate`` process (imports included) with an empty
lock; its wall time and peak RSS come from the kernel's accounting of that
child alone.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from harness.context import Context
from harness.paths import MODELWIRE
from harness.procs import HarnessError, tail
from harness.results import GeneratorRun, GeneratorRuns

logger = logging.getLogger(__name__)
#: seconds one generation may take before it counts as hung
TIMEOUT = 600.0

_MODULE = '''\
"""Synthetic module {i}: one task, its input and its output."""

from __future__ import annotations

from pathlib import Path
from typing import Self

import modelwire as mw


@mw.dataobject
class Input{i}:
    """What task {i} reads."""

    text: str
    weights: list[float]
    limit: int | None = None


@mw.dataobject
class Output{i}:
    """What task {i} answers."""

    label: str
    score: float
    counts: dict[str, int]


@mw.task(output=Output{i})
class Task{i}:
    """Synthetic task {i}."""

    item: Input{i}


@mw.module(id="{library}.m{i}", name="Module {i}", version="1.0.0", task=Task{i})
class Module{i}(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: Path) -> Self:
        return cls()

    def run(self, item: Input{i}) -> Output{i}:
        return Output{i}(item.text, 0.0, {{}})
'''


def run(ctx: Context) -> GeneratorRuns:
    result = GeneratorRuns()
    flavour_sets: list[tuple[str, ...]] = [()]
    flavours = _flavours(ctx, result)
    if flavours:
        flavour_sets.append(flavours)
    for modules in ctx.settings.generator_sizes:
        app_dir = write_library(ctx.work / "synthetic", modules)
        for chosen in flavour_sets:
            label = _label(modules, chosen)
            try:
                measured = _fastest(ctx, app_dir, modules, chosen)
            except HarnessError as exc:
                logger.error("generating %s failed: %s", label, exc)
                result.failed[label] = str(exc)
                continue
            logger.info(
                "generated %s in %.2f s, peak %.0f MiB",
                label,
                measured.seconds,
                measured.peak_mib,
            )
            result.runs.append(measured)
    return result


def _flavours(ctx: Context, result: GeneratorRuns) -> tuple[str, ...]:
    if not ctx.features.clients:
        result.pending["all client flavours"] = (
            "modelwire generate has no --clients option yet"
        )
        return ()
    if ctx.tools.client_flavours is None:
        why = (ctx.tools.missing or {}).get("client_flavours", "not provisioned")
        result.failed["all client flavours"] = why
        return ()
    chosen = ctx.settings.generator_flavours
    return ctx.tools.client_flavours if chosen is None else chosen


def _label(modules: int, flavours: tuple[str, ...]) -> str:
    return f"{modules} modules, " + (
        "protos and " + ", ".join(flavours) if flavours else "protos"
    )


def library_name(modules: int) -> str:
    return f"synth{modules}"


def write_library(root: Path, modules: int) -> Path:
    """Writes package ``synth<modules>`` under ``root/<modules>``; returns the app dir."""
    app_dir = root / str(modules)
    name = library_name(modules)
    package = app_dir / name
    shutil.rmtree(app_dir, ignore_errors=True)
    package.mkdir(parents=True)
    stems = [f"m{i:04d}" for i in range(modules)]
    for i, stem in enumerate(stems):
        (package / f"{stem}.py").write_text(_MODULE.format(i=i, library=name))
    imports = "\n".join(f"from {name} import {stem}  # noqa: F401" for stem in stems)
    (package / "__init__.py").write_text(
        f'"""A synthetic library of {modules} modules."""\n\n'
        f"import modelwire as mw\n\n"
        f'mw.declare_library(__name__, "{name}.v1")\n\n{imports}\n'
    )
    return app_dir


def generate_argv(
    app_dir: Path, modules: int, out: Path, flavours: tuple[str, ...]
) -> list[str]:
    argv = [str(MODELWIRE), "generate", library_name(modules)]
    argv += ["--app-dir", str(app_dir), "--out", str(out / "api")]
    argv += ["--lock", str(out / "modelwire.lock.json")]
    if flavours:
        argv += ["--clients", ",".join(flavours)]
    return argv


def _fastest(
    ctx: Context, app_dir: Path, modules: int, flavours: tuple[str, ...]
) -> GeneratorRun:
    """The quickest of the repeats: the one least disturbed by the machine."""
    settings = ctx.settings
    repeats = (
        settings.generator_client_repeats if flavours else settings.generator_repeats
    )
    runs = [_generate(ctx, app_dir, modules, flavours) for _ in range(repeats)]
    return min(runs, key=lambda run: run.seconds)


def _generate(
    ctx: Context, app_dir: Path, modules: int, flavours: tuple[str, ...]
) -> GeneratorRun:
    out = ctx.work / "generated" / f"{modules}-{'-'.join(flavours) or 'protos'}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = out / "generate.log"
    seconds, peak_kib = measure_child(
        generate_argv(app_dir, modules, out, flavours), log
    )
    files = sum(1 for path in (out / "api").rglob("*") if path.is_file())
    return GeneratorRun(modules, flavours, seconds, peak_kib / 1024, files)


def measure_child(argv: list[str], log: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process, which must succeed."""
    with log.open("wb") as output:
        started = time.perf_counter()
        pid = os.posix_spawn(
            argv[0],
            argv,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, output.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, output.fileno(), 2),
            ],
        )
        watchdog = threading.Timer(TIMEOUT, _kill, (pid,))
        watchdog.start()
        try:
            _, status, usage = os.wait4(pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise HarnessError(
            f"{' '.join(argv[:3])} exited with {code}:\n{tail(log.read_text())}"
        )
    # ru_maxrss is in KiB on Linux.
    return seconds, usage.ru_maxrss


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
