"""Where things are: the repository, the bench folder and its ignored work areas."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
LIBS = BENCH / "libs"
SERVERS = BENCH / "servers"
EXAMPLES = ROOT / "examples"
SRC = ROOT / "src"

#: modelwire's own virtual environment: the harness runs in it
PYTHON = Path(sys.executable)
MODELWIRE = PYTHON.parent / "modelwire"

#: ignored by git: virtual environments, tools, and everything a run writes
VENVS = BENCH / ".venvs"
TOOLS = BENCH / ".tools"
WORK = BENCH / ".work"

DOCS_REPORT = ROOT / "docs" / "benchmarks.md"
#: the hand-written reading of the figures, appended to the report
FINDINGS = BENCH / "findings.md"
