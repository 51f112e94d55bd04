"""``python -m harness [--quick] [--only PARTS] [--no-caikit] [--out FILE] [--profile]``.

Exits 1 only when the harness could not take a measurement (a tool or a
server failed); slow figures never fail it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import artefacts, features, machine, provision
from harness.context import Context
from harness.parts import cold_start, generator, grpc_echo, http_echo, memory, sentiment
from harness.parts import profiles as profile_part
from harness.paths import DOCS_REPORT, FINDINGS, WORK
from harness.procs import HarnessError
from harness.report import Report, render, with_findings
from harness.settings import FULL, QUICK

logger = logging.getLogger("harness")
PARTS: dict[str, Callable[[Context], Any]] = {
    "generator": generator.run,
    "cold-start": cold_start.run,
    "grpc-echo": grpc_echo.run,
    "http-echo": http_echo.run,
    "memory": memory.run,
    "sentiment": sentiment.run,
}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    if args.refresh_findings:
        return _refresh_findings(args.out or DOCS_REPORT)
    settings = QUICK if args.quick else FULL
    started = time.monotonic()
    tools = provision.provision(caikit=not args.no_caikit)
    artefacts.byte_compile()
    ctx = Context.create(settings, tools, features.detect(), WORK / settings.mode)
    report = Report(_command(argv), settings, machine.describe(tools))
    for name in args.only or list(PARTS):
        _run_part(ctx, name, report)
    grpc, http = report.data.get("grpc-echo"), report.data.get("http-echo")
    report.profiles, profile_failures = profile_part.run(ctx, grpc, http, args.profile)
    if settings.mode == "full" and FINDINGS.exists():
        report.findings = FINDINGS.read_text()
    out = args.out or (
        DOCS_REPORT if settings.mode == "full" else ctx.work / "benchmarks.md"
    )
    out.write_text(render(report))
    _dump(report, ctx.work / "results.json")
    failures = _failures(report) + list(profile_failures.items())
    missing = [f"{k} not set up: {v}" for k, v in (tools.missing or {}).items()]
    logger.info("wrote %s in %.0f s", out, time.monotonic() - started)
    for what, why in failures:
        logger.error("FAILED %s: %s", what, why.splitlines()[0] if why else "")
    for line in missing:
        logger.error("%s", line)
    return 1 if failures or missing else 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="seconds, not minutes")
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        help=f"comma-separated parts to run, of: {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--no-caikit",
        action="store_true",
        help="leave Caikit out (its rows read pending); skips its large venv",
    )
    parser.add_argument("--out", type=Path, help="where to write the report")
    parser.add_argument(
        "--refresh-findings",
        action="store_true",
        help="measure nothing: put bench/findings.md into the existing report",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile even when goals are met"
    )
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    return args


def _refresh_findings(report: Path) -> int:
    if not report.exists():
        logger.error("%s does not exist yet: run the benchmarks first", report)
        return 1
    findings = FINDINGS.read_text() if FINDINGS.exists() else ""
    report.write_text(with_findings(report.read_text(), findings))
    logger.info("put %s into %s", FINDINGS, report)
    return 0


def _command(argv: list[str] | None) -> str:
    words = sys.argv[1:] if argv is None else argv
    return " ".join(["bash bench/run.sh", *words])


def _run_part(ctx: Context, name: str, report: Report) -> None:
    logger.info("=== %s", name)
    started = time.monotonic()
    try:
        report.data[name] = PARTS[name](ctx)
    except HarnessError as exc:
        logger.error("%s failed: %s", name, exc)
        report.errors[name] = str(exc)
    logger.info("=== %s took %.0f s", name, time.monotonic() - started)


def _failures(report: Report) -> list[tuple[str, str]]:
    found = list(report.errors.items())
    for name, data in report.data.items():
        for what, why in getattr(data, "failed", {}).items():
            found.append((f"{name}: {what}", why))
    return found


def _dump(report: Report, path: Path) -> None:
    """The raw figures, for comparing runs."""
    document = {
        "command": report.command,
        "machine": report.machine,
        "settings": dataclasses.asdict(report.settings),
        "data": report.data,
        "errors": report.errors,
        "profiles": report.profiles,
    }
    path.write_text(json.dumps(_plain(document), indent=1))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            " / ".join(map(str, k)) if isinstance(k, tuple) else str(k): _plain(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
