#!/usr/bin/env bash
# Installs the pinned tools the client flavours are generated and tested with.
# Every version lives in tools/: requirements-clients.txt (Python) and
# package.json with package-lock.json (Node). Run after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Python: python, python-betterproto ---------------------------------------
.venv/bin/python -m pip install --quiet -r tools/requirements-clients.txt

# --- Node: typescript (ts-proto, tsc, @grpc/grpc-js) ------------------------------
# npm ci reuses ~/.npm, so a warm cache installs without the network.
if ! command -v npm >/dev/null 2>&1; then
  echo "the typescript flavour needs Node.js 18+ with npm on PATH" >&2
  exit 1
fi
npm ci --prefix tools --no-audit --no-fund --prefer-offline --loglevel=error
