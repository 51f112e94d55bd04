"""The benchmark harness's own logic: parsing tool output, ratios, the report."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import loadgen, report
from harness.compare import InProcess, compare
from harness.context import Context
from harness.features import Features
from harness.loadgen import Load
from harness.parts.generator import generate_argv
from harness.procs import HarnessError, Pending
from harness.profiler import summarise
from harness.provision import Tools
from harness.results import Comparison, Goal
from harness.settings import QUICK

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(rps: float, p99: float = 1.0) -> Load:
    return Load(int(rps), 1.0, rps, p99 / 2, p99, 0)


def test_ghz_report_becomes_a_load():
    """ghz's JSON: rps and percentiles (ns -> ms); calls not OK count as errors."""
    parsed = loadgen._ghz_load(
        {
            "count": 1000,
            "total": 2_000_000_000,
            "rps": 500.0,
            "latencyDistribution": [
                {"percentage": 50, "latency": 1_500_000},
                {"percentage": 99, "latency": 4_000_000},
            ],
            "statusCodeDistribution": {"OK": 990, "Unavailable": 10},
        }
    )
    assert parsed == Load(1000, 2.0, 500.0, 1.5, 4.0, 10)


def test_ghz_report_without_calls_is_a_harness_failure():
    """A run that made no call says why instead of reporting zero requests/s."""
    with pytest.raises(HarnessError, match="connection refused"):
        loadgen._ghz_load({"count": 0, "errorDistribution": "connection refused"})


def test_wrk_summary_line_becomes_a_load():
    """The Lua summary line (microseconds) is read; wrk's own text is ignored."""
    output = (
        "Running 2s test @ http://127.0.0.1:1/echo\n"
        '{"requests": 3000, "us": 2000000, "p50": 800, "p99": 2500, "errors": 3}\n'
    )
    assert loadgen._wrk_load(output) == Load(3000, 2.0, 1500.0, 0.8, 2.5, 3)


def test_wrk_without_summary_is_a_harness_failure():
    with pytest.raises(HarnessError, match="no summary"):
        loadgen._wrk_load("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_ratio_is_the_median_of_ratios_within_rounds():
    """Each round's ratio uses neighbouring measurements; the median is reported."""
    goal = Goal("a / b", "a", "b", "rps", 0.9)
    result = Comparison(["a", "b"], [16], [goal])
    for a, b in [(90, 100), (50, 40), (100, 100)]:
        result.add("a", 16, load(a))
        result.add("b", 16, load(b))
    assert result.ratio(goal, 16) == pytest.approx(1.0)
    assert result.missed() == []


def test_lower_is_better_goal_is_missed_above_its_target():
    goal = Goal("p99", "a", "b", "p99_ms", 1.2, higher_is_better=False)
    result = Comparison(["a", "b"], [1], [goal])
    result.add("a", 1, load(100, p99=3.0))
    result.add("b", 1, load(100, p99=2.0))
    assert [(g.label, c, r) for g, c, r in result.missed()] == [("p99", 1, 1.5)]


def test_report_has_the_six_tables_and_marks_a_missed_goal():
    goal = Goal("a / b, requests/s", "a", "b", "rps", 0.9)
    grpc = Comparison(["a", "b", "c"], [1], [goal])
    grpc.add("a", 1, load(50))
    grpc.add("b", 1, load(100))
    grpc.pending["c"] = "left out of this run (--no-caikit)"
    document = report.render(
        report.Report(
            "bash bench/run.sh --quick",
            QUICK,
            {"cores": "2"},
            data={"grpc-echo": grpc},
            errors={"memory": "ghz is not available"},
        )
    )
    titles = [line for line in document.splitlines() if line.startswith("## ")]
    assert len(titles) == 6
    assert "**0.50x** (missed by 44%)" in document
    assert "pending: left out of this run (--no-caikit)" in document
    assert "**Failed:** ghz is not available" in document


def test_in_process_rates_take_their_turn_in_every_round(tmp_path):
    """Rates measured without a server fill their rows at every concurrency."""
    calls: list[float] = []

    def measure(seconds: float) -> dict[str, Load]:
        calls.append(seconds)
        return {"alone": load(10.0), "batched": load(40.0)}

    ctx = Context(QUICK, Tools(), _features(), tmp_path)
    result = compare(
        ctx,
        [],
        tag="t",
        concurrencies=[1, 32],
        seconds=0.25,
        load=_no_load,
        ready=_no_ready,
        in_process=InProcess(("alone", "batched"), measure),
    )
    assert calls == [0.25] * QUICK.rounds
    assert result.servers == ["alone", "batched"]
    assert result.median("batched", 32, "rps") == 40.0
    assert result.median("alone", 1, "rps") == 10.0


def test_left_out_tool_makes_rows_pending_not_failed():
    tools = Tools(missing={}, left_out={"caikit_python": "left out (--no-caikit)"})
    with pytest.raises(Pending, match="left out"):
        tools.need("caikit_python")
    with pytest.raises(HarnessError, match="not provisioned") as raised:
        tools.need("ghz")
    assert not isinstance(raised.value, Pending)


def test_generator_passes_flavours_as_one_comma_separated_option(tmp_path):
    argv = generate_argv(tmp_path, 10, tmp_path / "out", ("go", "python"))
    assert argv[argv.index("--clients") + 1] == "go,python"
    assert "--clients" not in generate_argv(tmp_path, 10, tmp_path, ())


def test_profile_summary_shares_per_function(tmp_path):
    """py-spy's raw lines: inclusive share per function, own share at the top."""
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "run (threading.py:1);handle (handlers.py:10);parse (handlers.py:20) 3\n"
        "run (threading.py:1);handle (handlers.py:11) 1\n"
    )
    samples, lines = summarise(raw)
    shares = {line.function: (line.inclusive, line.own) for line in lines}
    assert samples == 4
    assert shares["handle (handlers.py)"] == (1.0, 0.25)
    assert shares["parse (handlers.py)"] == (0.75, 0.75)
    assert "run (threading.py)" not in shares or shares["run (threading.py)"][1] == 0


def test_profile_summary_reads_frames_with_line_breaks(tmp_path):
    """A frame name holding a line break continues the sample on the next line."""
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "run (threading.py:1);<module> (<string>:2)\n"
        "install_lazy_importer():;load (lazy.py:5) 2\n"
        "run (threading.py:1);handle (handlers.py:10) 2\n"
    )
    samples, lines = summarise(raw)
    shares = {line.function: (line.inclusive, line.own) for line in lines}
    assert samples == 4
    assert shares["load (lazy.py)"] == (0.5, 0.5)
    assert shares["handle (handlers.py)"] == (0.5, 0.5)


def test_a_killed_harness_leaves_no_server_behind(tmp_path):
    """Servers die with the process that started them, even one killed hard."""
    pid_file = tmp_path / "pid"
    script = f"""
import os, sys
sys.path.insert(0, {str(BENCH)!r})
from pathlib import Path
from harness.procs import ServerProcess
server = ServerProcess("sleeper", ["sleep", "60"], {{}}, Path({str(tmp_path / "log")!r}))
server.start()
Path({str(pid_file)!r}).write_text(str(server.pid))
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    # A killed child of init lingers as a zombie until reaped: that is gone too.
    return "\nState:\tZ" not in status


def _features() -> Features:
    return Features(http_gateway=True, http_switch=True, batching=True, clients=True)


def _no_load(*_: object) -> Load:
    raise AssertionError("no server is loaded")


def _no_ready(*_: object) -> None:
    raise AssertionError("no server is started")


def test_generator_linearity_is_reported_per_output():
    """Each output (protos alone, protos with clients) gets its own verdict."""
    from harness.results import GeneratorRun, GeneratorRuns

    runs = [(10, (), 1.0), (100, (), 1.9), (1000, (), 10.9)]
    runs += [(10, ("go",), 2.0), (100, ("go",), 3.8), (1000, ("go",), 39.8)]
    result = GeneratorRuns([GeneratorRun(n, f, s, 1.0, 1) for n, f, s in runs])
    text = report._linearity(result)
    assert (
        "For protos alone, the per-module cost from 100 to 1000 modules is 1.00x"
        in text
    )
    assert "For protos and every client, the per-module cost" in text
    assert "is 2.00x the cost from 10 to 100" in text


def test_findings_replace_the_previous_ones_and_keep_the_figures():
    first = report.with_findings("# Benchmarks\n\n| table |\n", "## Findings\n\nold\n")
    second = report.with_findings(first, "## Findings\n\nnew\n")
    assert second.startswith("# Benchmarks\n\n| table |\n")
    assert "new" in second and "old" not in second
    assert report.with_findings(second, "") == "# Benchmarks\n\n| table |\n"
