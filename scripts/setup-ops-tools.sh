#!/usr/bin/env bash
# Installs the standard gRPC tools the operations tests run against the
# server: grpc-health-probe and grpcurl, built by `go install` from the Go
# module proxy into .tools/bin (ignored by git). Versions are pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPC_HEALTH_PROBE_VERSION=v0.4.63
GRPCURL_VERSION=v1.9.4

if ! command -v go >/dev/null 2>&1; then
  echo "the operations tests need Go 1.24+ on PATH to install grpcurl and grpc-health-probe" >&2
  exit 1
fi
bin="$PWD/.tools/bin"
mkdir -p "$bin"

install() {  # module@version binary
  local stamp="$bin/.$2.version"
  if [ -x "$bin/$2" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$1" ]; then
    return
  fi
  GOBIN="$bin" go install "$1"
  echo "$1" >"$stamp"
}
install "github.com/grpc-ecosystem/grpc-health-probe@$GRPC_HEALTH_PROBE_VERSION" grpc-health-probe
install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION" grpcurl
