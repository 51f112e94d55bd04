"""The benchmark harness end to end in quick mode, so that it cannot rot.

It provisions its tools (ghz, wrk, py-spy, the client flavours' generators),
starts every server but Caikit's (whose environment takes minutes to build),
loads each one for a second or two and writes the report. It fails when the
harness could not take a measurement, never on a figure. Runs in CI (``CI``
set) or when ``MODELWIRE_BENCH_QUICK=1``; a developer's plain test run skips it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: provisioning on a fresh machine builds ghz with Go and installs wrk
TIMEOUT = 1800

pytestmark = pytest.mark.skipif(
    not (os.environ.get("CI") or os.environ.get("MODELWIRE_BENCH_QUICK")),
    reason="takes minutes; runs in CI or with MODELWIRE_BENCH_QUICK=1",
)


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    done = subprocess.run(
        ["bash", "bench/run.sh", "--quick", "--no-caikit", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return out.read_text()


def test_every_part_reports_without_failures(quick_report):
    """All six tables are there and no row says a measurement failed."""
    titles = re.findall(r"^## (\d)\. ", quick_report, flags=re.M)
    assert titles == ["1", "2", "3", "4", "5", "6"]
    assert "failed:" not in quick_report
    assert "**Failed:**" not in quick_report


@pytest.mark.parametrize(
    "server",
    [
        "modelwire",
        "hand-written grpcio",
        "modelwire gateway",
        "hand-written Starlette",
        "modelwire, batching off",
        "modelwire, batching on",
        "in process, batches of 32 \\(ceiling\\)",
    ],
)
def test_each_loaded_server_has_a_measured_rate(quick_report, server):
    rows = re.findall(rf"^\| \d+ \| {server} \| ([\d,.]+) \|", quick_report, re.M)
    assert rows, f"no measured row for {server}"
    assert all(float(rate.replace(",", "")) > 0 for rate in rows)


def test_caikit_rows_say_they_were_left_out(quick_report):
    assert "pending: left out of this run (--no-caikit)" in quick_report


def test_cold_start_and_memory_hold_figures(quick_report):
    assert re.search(r"^\| echo \| modelwire \| \d+\.\d{3} \|", quick_report, re.M)
    assert re.search(r"^\| modelwire \| [\d.]+ MiB \|", quick_report, re.M)
