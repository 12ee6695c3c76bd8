#!/usr/bin/env bash
# Build the Collector described by deploy/otelcol-builder.yaml once, into a cache outside
# the repository keyed by the builder config's hash; print the binary's path as the last line.
#
#   npm run otelcol:build                       # or: bash deploy/build-otelcol.sh
#   OTELCOL_CACHE=/some/dir npm run otelcol:build   # another cache root (deploy/go-cache.sh)
#
# Needs Go (see `go version`; the builder's components need Go >= 1.25) and the Go module
# proxy; nothing else from the internet. Everything but the last line goes to stderr, so
# `$(bash deploy/build-otelcol.sh | tail -n 1)` is the binary.
#
# The official builder (go.opentelemetry.io/collector/cmd/builder) generates the sources.
# Its own module step runs `go mod tidy`, which also resolves the test-only dependencies of
# every component; one of them (contrib's otlpencodingextension, used by fileexporter's
# tests) is not served by the Go module proxy (403 "This module version is not available"),
# so tidy fails. We therefore generate with --skip-get-modules and resolve the component
# modules with `go get`, which needs only what the binary imports, then `go build`. Same
# components, same versions.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=deploy/go-cache.sh
. "$here/go-cache.sh"
config="$here/otelcol-builder.yaml"
builder_version="v0.165.0"
# The key covers what decides the binary: the components (builder config), how they are
# built (this script and its helper) and the Go toolchain.
begin_build build-otelcol otelcol otelcol-session-logs "$config" "$here/build-otelcol.sh"
mkdir -p "$cache_root/bin"
export GOBIN="$cache_root/bin"
export GOFLAGS="-mod=mod"
builder="$GOBIN/builder-$builder_version"
if [ ! -x "$builder" ]; then
  echo "build-otelcol: installing the builder $builder_version" >&2
  go install "go.opentelemetry.io/collector/cmd/builder@$builder_version" >&2
  mv "$GOBIN/builder" "$builder"
fi
start=$(date +%s)
work="$(mktemp -d "$out.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
fail() {
  echo "build-otelcol: $1 failed; its output:" >&2
  cat "$log" >&2
  exit 1
}
echo "build-otelcol: generating sources and building into $out (first time only; a few minutes)" >&2
"$builder" --config "$config" --output-path "$work" --skip-compilation --skip-get-modules >"$log" 2>&1 || fail "the builder"
cd "$work"
go mod init otelcol-session-logs >"$log" 2>&1 || fail "go mod init"
rm -f "$log"
# The components and providers of the builder config, and the core modules the generated
# main.go imports, all at pinned versions so the build is the same on every machine.
modules="$(sed -n 's/^ *- gomod: *\([^ ]*\) *\(v[^ ]*\).*/\1@\2/p' "$config")
go.opentelemetry.io/collector/otelcol@$builder_version
go.opentelemetry.io/collector/connector@$builder_version
go.opentelemetry.io/collector/service@$builder_version"
# shellcheck disable=SC2086
go get $modules >&2
go build -trimpath -ldflags='-s -w' -o otelcol-session-logs . >&2
cd - >/dev/null
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
echo "build-otelcol: built in $(( $(date +%s) - start )) s" >&2
echo "$binary"
