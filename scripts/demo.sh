#!/usr/bin/env bash
# Sets up, then runs the text-sentiment demo end to end over gRPC.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python examples/run_demo.py "$@"
