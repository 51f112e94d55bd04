#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs modelwire with the example and test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python_bin=$candidate
    break
  fi
done
if [ -z "$python_bin" ]; then
  echo "modelwire needs Python 3.11 or newer on PATH" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[example,test]"
# KServe's resource shapes for the deploy/ manifest tests. The SDK pins
# protobuf below 7, so its wheel is downloaded and read, never installed.
kserve_version=0.21.0
if ! ls .venv/share/kserve-sdk/kserve-"$kserve_version"-*.whl >/dev/null 2>&1; then
  .venv/bin/python -m pip download --quiet --no-deps \
    --dest .venv/share/kserve-sdk "kserve==$kserve_version"
fi
