#!/usr/bin/env bash
# Runs the benchmarks: sets up what they need (idempotently), measures, and
# writes docs/benchmarks.md; --quick is the short run CI uses.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/python -c "import modelwire, torch, transformers" 2>/dev/null; then
  bash scripts/setup.sh
fi
PYTHONPATH=bench exec .venv/bin/python -m harness "$@"
