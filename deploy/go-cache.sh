# Shared by deploy/build-otelcol.sh and deploy/build-victorialogs.sh (sourced, not run): Go on
# PATH, the cache root outside the repository, and one build at a time per cache.
#
#   OTELCOL_CACHE=/some/dir   another cache root (default ~/.cache/otel-session-logs)

export PATH="$PATH:/usr/local/go/bin"  # where the machine image installs Go

# require_go <what>: fail with a clear message when Go is missing.
require_go() {
  command -v go >/dev/null || { echo "$1: Go is required (see \`go version\`); the build needs only Go and the Go module proxy" >&2; exit 1; }
}

cache_root="${OTELCOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-session-logs}"

# cache_key <file>...: 16 hex digits over the files and the Go toolchain, which together decide the binary.
cache_key() {
  (cat "$@"; go version) | sha256sum | cut -c1-16
}

# print_if_built <binary>: print it and exit when it is already in the cache.
print_if_built() {
  if [ -x "$1" ]; then
    echo "$1"
    exit 0
  fi
}

# lock_cache <binary>: one build at a time per cache (two test runs starting together); the
# second waits for the first and then finds its binary.
lock_cache() {
  mkdir -p "$cache_root"
  if command -v flock >/dev/null; then
    exec 9>"$cache_root/.build.lock"
    flock 9
    print_if_built "$1"
  fi
}
