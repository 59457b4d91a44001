#!/usr/bin/env bash
# Runs the product: installs what is missing, builds the app in release, starts ppt-server
# with its SQLite database (created and seeded on first run) on http://127.0.0.1:8080.
# Extra arguments go to ppt-server (e.g. --simulate). Settings: see `ppt-server --help`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
bash scripts/setup.sh
bash scripts/build-app.sh
cargo build --release -p ppt-server
# The address it will really serve: --addr among the arguments, else PPT_ADDR, else the default.
addr="${PPT_ADDR:-127.0.0.1:8080}"
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --addr=*) addr="${args[$i]#--addr=}" ;;
    --addr) addr="${args[$((i + 1))]:-$addr}" ;;
  esac
done
# A postgres:// URL is shown without its password.
db_shown="$(printf '%s' "${PPT_DB:-ppt.sqlite3}" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
cat <<MSG

  ppt-web is starting on http://$addr
  database: $db_shown   (a new one is seeded with the demo world)

  demo logins (password demo1234):
    alice@demo.ppt   resident
    bob@demo.ppt     resident
    carol@demo.ppt   resident
    martin@demo.ppt  manager     (Sunny Court 12)
    dana@demo.ppt    resident
    erik@demo.ppt    resident
    nora@demo.ppt    manager     (Maple House 3)

MSG
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
exec "$target_dir/release/ppt-server" --demo --static-dir "$PPT_ROOT/dist" "$@"
