#!/usr/bin/env bash
# Sets up (client toolchains included), then runs every test (lint and format
# checks included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-ops-tools.sh
bash scripts/setup-clients.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
