#!/usr/bin/env bash
# Installs the pinned tools the client flavours are generated and tested with,
# all inside the checkout: Python packages into .venv, Node packages into
# tools/node_modules, the Go protoc plugins into tools/go/bin. Every version
# lives in tools/ (requirements-clients.txt, package.json with its lock,
# go-plugins.txt). Java (Maven) and Rust (cargo) packages come from their
# registries when a package builds. Run after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "the client flavours need $1 on PATH: $2" >&2
    exit 1
  fi
}
need npm "Node.js 18+ with npm (apt-get install nodejs npm)"
need go "Go 1.26+ (https://go.dev/dl/)"
need mvn "Maven 3.8+ with a JDK 17 (apt-get install maven openjdk-17-jdk-headless)"
need cargo "Rust 1.88+ through rustup (https://rustup.rs)"

# --- Python: python, python-betterproto ---------------------------------------
.venv/bin/python -m pip install --quiet -r tools/requirements-clients.txt

# --- Node: typescript (protoc-gen-es, tsc, @grpc/grpc-js) --------------------
# npm ci reuses ~/.npm, so a warm cache installs without the network.
if [ ! -f tools/node_modules/.package-lock.json ] ||
   ! cmp -s tools/package-lock.json tools/node_modules/.modelwire-lock; then
  npm ci --prefix tools --no-audit --no-fund --prefer-offline --loglevel=error
  cp tools/package-lock.json tools/node_modules/.modelwire-lock
fi

# --- Go: protoc-gen-go and protoc-gen-go-grpc ---------------------------------
# Each line of go-plugins.txt is a `go install` target at an exact version.
while read -r target; do
  case "$target" in '' | '#'*) continue ;; esac
  name=${target%@*}
  name=${name##*/}
  version=${target##*@}
  if ! tools/go/bin/"$name" --version 2>/dev/null | grep -q "${version#v}\$"; then
    GOBIN="$PWD/tools/go/bin" go install "$target"
  fi
done < tools/go-plugins.txt
