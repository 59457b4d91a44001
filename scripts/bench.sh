#!/usr/bin/env bash
# Runs the benchmarks in release and writes docs/performance.md: app size, missed-events
# paging, fan-out, memory per idle socket. `scripts/bench.sh --quick` is the small run CI does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
bash scripts/setup.sh
[ -f dist/index.html ] || bash scripts/build-app.sh
cargo build --release -p ppt-server -p ppt-bench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
exec "$target_dir/release/ppt-bench" "$@"
