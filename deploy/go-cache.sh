# Shared by deploy/build-otelcol.sh and deploy/build-victorialogs.sh (sourced, not run): Go on
# PATH, the cache root outside the repository, and one build at a time per cache.
#
#   OTELCOL_CACHE=/some/dir   another cache root (default ~/.cache/otel-session-logs)

export PATH="$PATH:/usr/local/go/bin"  # where the machine image installs Go

cache_root="${OTELCOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-session-logs}"

# cache_key <file>...: 16 hex digits over the files, this helper and the Go toolchain, which
# together decide the binary.
cache_key() {
  (cat "$@" "${BASH_SOURCE[0]}"; go version) | sha256sum | cut -c1-16
}

# begin_build <what> <name> <binary> <file>...: sets $out (the cache directory
# <name>-<key of the files>) and $binary in it; prints the binary and exits when it is built
# already; otherwise waits for any other build into this cache (two test runs starting
# together), checks again, and returns with the lock held.
begin_build() {
  local what="$1" name="$2" file="$3"
  shift 3
  command -v go >/dev/null || { echo "$what: Go is required (see \`go version\`); the build needs only Go and the Go module proxy" >&2; exit 1; }
  out="$cache_root/$name-$(cache_key "$@")"
  binary="$out/$file"
  if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
  fi
  mkdir -p "$cache_root"
  if command -v flock >/dev/null; then
    exec 9>"$cache_root/.build.lock"
    flock 9
    if [ -x "$binary" ]; then
      echo "$binary"
      exit 0
    fi
  fi
}
