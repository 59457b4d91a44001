#!/usr/bin/env bash
# Runs the benchmarks in release and writes docs/performance.md (and docs/latency.svg): app
# size, missed-events paging, memory per idle socket, fan-out at 1,000 and 10,000 sockets and
# the same job against Node.js Socket.IO, the reconnect storm, and the app in Chromium
# (start-up, events applied in one tab, publish to screen), and the cluster on PostgreSQL
# (appends per second, cross-node latency, CPU per delivery over three nodes, fail-over).
#   scripts/bench.sh                 everything, full size (about 10 minutes on 2 cores)
#   scripts/bench.sh --quick         every benchmark, small (what CI runs)
#   scripts/bench.sh fanout storm    some of them, printed only (size missed idle fanout storm cluster browser)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
bash scripts/setup.sh --bench
# PostgreSQL for the cluster benchmarks: PPT_TEST_PG, else the local one (installed if missing).
if [ -z "${PPT_TEST_PG:-}" ]; then
  bash scripts/pg.sh >/dev/null
  export PPT_TEST_PG="postgres://ppt:ppt@127.0.0.1:5432/postgres"
fi
# The app as it is now (the test command has just built it and says so).
[ "${PPT_APP_BUILT:-0}" = 1 ] || bash scripts/build-app.sh
cargo build --release -p ppt-server -p ppt-bench
# 10,000 sockets on each side of loopback need more than the usual 1,024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROME_BIN="${CHROME_BIN:-/usr/bin/chromium}"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
exec "$target_dir/release/ppt-bench" "$@"
