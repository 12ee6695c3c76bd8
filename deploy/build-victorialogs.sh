#!/usr/bin/env bash
# Build VictoriaLogs (Apache-2.0), the log store the end-to-end tests send to through the
# Collector, once, into the same cache as the Collector (outside the repository); print the
# binary's path as the last line. Everything else goes to stderr, so
# `$(bash deploy/build-victorialogs.sh | tail -n 1)` is the binary.
#
#   npm run victorialogs:build        # or: bash deploy/build-victorialogs.sh
#
# Needs Go and the Go module proxy, nothing else: `go install` of the pinned release builds it
# from its module, with the dependency versions its go.mod pins.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=deploy/go-cache.sh
. "$here/go-cache.sh"
version="v1.52.1"
module="github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs"
begin_build build-victorialogs victorialogs victoria-logs "$here/build-victorialogs.sh"
start=$(date +%s)
work="$(mktemp -d "$out.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "build-victorialogs: building $module@$version into $out (first time only; about a minute)" >&2
GOBIN="$work" GOFLAGS="-trimpath" go install -ldflags='-s -w' "$module@$version" >&2
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
echo "build-victorialogs: built in $(( $(date +%s) - start )) s" >&2
echo "$binary"
