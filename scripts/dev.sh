#!/usr/bin/env bash
# Frontend work: ppt-server on :8080 and `trunk serve` with hot reload on :8081, which
# proxies /api and /ws to the server. Open http://127.0.0.1:8081. Ctrl-C stops both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
bash scripts/setup.sh
cargo build -p ppt-server
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
# Trunk's dev server is another origin: named here, never by default.
"$target_dir/debug/ppt-server" --demo --static-dir "$PPT_ROOT/dist" \
  --allowed-origins http://127.0.0.1:8081,http://localhost:8081 "$@" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT INT TERM
echo "dev server: http://127.0.0.1:8081 (API and /ws proxied to ppt-server on :8080)"
trunk serve --offline
