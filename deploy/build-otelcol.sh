#!/usr/bin/env bash
# Build the Collector described by deploy/otelcol-builder.yaml once, into a cache outside
# the repository keyed by the builder config's hash; print the binary's path as the last line.
#
# The official builder (go.opentelemetry.io/collector/cmd/builder) generates the sources.
# Its own module step runs `go mod tidy`, which also resolves the test-only dependencies of
# every component; one of them (contrib's otlpencodingextension, used by fileexporter's
# tests) is not served by the Go module proxy, so tidy fails. We therefore generate with
# --skip-get-modules and resolve the component modules with `go get`, which needs only what
# the binary imports, then `go build`. Same components, same versions.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
config="$here/otelcol-builder.yaml"
builder_version="v0.165.0"
export PATH="$PATH:/usr/local/go/bin"  # where the machine image installs Go
command -v go >/dev/null || { echo "build-otelcol: Go is required to build the Collector" >&2; exit 1; }
cache_root="${OTELCOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-session-logs}"
key="$( (cat "$config" "$0"; go version) | sha256sum | cut -c1-16)"
out="$cache_root/otelcol-$key"
binary="$out/otelcol-session-logs"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
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
work="$out.tmp"
rm -rf "$work"
echo "build-otelcol: generating sources and building into $out (first time only; a few minutes)" >&2
"$builder" --config "$config" --output-path "$work" --skip-compilation --skip-get-modules >&2 2>/dev/null
cd "$work"
go mod init otelcol-session-logs >/dev/null 2>&1
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
echo "build-otelcol: built in $(( $(date +%s) - start )) s" >&2
echo "$binary"
