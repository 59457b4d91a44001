#!/usr/bin/env bash
# Runs the benchmarks in release and writes docs/performance.md (and docs/latency.svg): app
# size, missed-events paging, memory per idle socket, fan-out at 1,000 and 10,000 sockets and
# the same job against Node.js Socket.IO, the reconnect storm, and the app in Chromium
# (start-up, events applied in one tab, publish to screen), and the cluster on PostgreSQL
# (appends per second, cross-node latency, CPU per delivery over three nodes, fail-over).
#   scripts/bench.sh                 everything, full size (about 10 minutes on 2 cores)
#   scripts/bench.sh --quick         every benchmark, small (what CI runs)
#   scripts/bench.sh fanout storm    some of them, printed only (size missed idle fanout storm cluster browser edit)
#   scripts/bench.sh --baseline REV  the app as commit REV built it, measured beside this one
#                                    (size, start-up, Lighthouse); a whole run compares with
#                                    $PPT_BENCH_BASELINE, the app before issue 25, by default
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"

# The app before issue 25 (its own size-driven build), which docs/performance.md compares with.
PPT_BENCH_BASELINE="${PPT_BENCH_BASELINE:-31ab74e}"
baseline=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) baseline="${2:?--baseline takes a commit}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
# A whole full run (no benchmark named, not --quick) writes docs/performance.md: with the
# baseline beside it.
if [ -z "$baseline" ] && [ ${#args[@]} -eq 0 ]; then
  baseline="$PPT_BENCH_BASELINE"
fi

# Builds commit $1 as it built itself (its own setup and build-app.sh, in a worktree of its
# own) once, into a cache folder; prints that folder's dist/.
build_baseline() {
  local rev commit cache
  rev="$1"
  commit="$(git -C "$PPT_ROOT" rev-parse --verify --quiet "$rev^{commit}")" ||
    { echo "bench.sh: no commit $rev in this checkout" >&2; exit 2; }
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/ppt-web/baseline/${commit:0:7}"
  if [ ! -f "$cache/dist/index.html" ]; then
    echo "building the app at ${commit:0:7} as it built itself (once)" >&2
    rm -rf "$cache/src"
    git -C "$PPT_ROOT" worktree add --detach --force "$cache/src" "$commit" >&2
    (cd "$cache/src" && bash scripts/setup.sh >&2 &&
      CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/ppt-web/baseline/target" bash scripts/build-app.sh >&2)
    rm -rf "$cache/dist"
    cp -r "$cache/src/dist" "$cache/dist"
    git -C "$PPT_ROOT" worktree remove --force "$cache/src" >&2
  fi
  echo "$cache/dist"
}
bash scripts/setup.sh --bench
# PostgreSQL for the cluster benchmarks: PPT_TEST_PG, else the local one (installed if missing).
if [ -z "${PPT_TEST_PG:-}" ]; then
  bash scripts/pg.sh >/dev/null
  export PPT_TEST_PG="postgres://ppt:ppt@127.0.0.1:5432/postgres"
fi
if [ -n "$baseline" ]; then
  for a in "${args[@]}"; do
    [ "$a" = --quick ] && { echo "bench.sh: --baseline goes with full runs" >&2; exit 2; }
  done
  args=(--baseline "$(build_baseline "$baseline")" "${args[@]}")
fi
# The app as it is now (the test command has just built it and says so).
[ "${PPT_APP_BUILT:-0}" = 1 ] || bash scripts/build-app.sh
cargo build --release -p ppt-server -p ppt-bench
# 10,000 sockets on each side of loopback need more than the usual 1,024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROME_BIN="${CHROME_BIN:-/usr/bin/chromium}"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
exec "$target_dir/release/ppt-bench" "${args[@]}"
