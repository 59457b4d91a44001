#!/usr/bin/env bash
# Runs every test layer: formatting and lints (native and wasm), native tests (protocol,
# server integration on SQLite and on PostgreSQL, several servers on one PostgreSQL, the app's
# pure logic), the release build of the app, browser tests (wasm-bindgen-test in headless
# Chromium) and end-to-end tests (real server, real Chromium, HAProxy in front of a cluster),
# some of them again against the app as `trunk build --release` alone makes it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROME_BIN="${CHROME_BIN:-/usr/bin/chromium}"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "set-up (installs only what is missing)"
bash scripts/setup.sh --bench

step "PostgreSQL for the tests (PPT_TEST_PG, else the one on 127.0.0.1:5432, installed if missing)"
if [ -z "${PPT_TEST_PG:-}" ]; then
  bash scripts/pg.sh >/dev/null
  export PPT_TEST_PG="postgres://ppt:ppt@127.0.0.1:5432/postgres"
fi

step "format"
cargo fmt --all -- --check

step "lints (native)"
cargo clippy --workspace --all-targets -- -D warnings
step "lints (wasm32)"
cargo clippy -p ppt-web --all-targets --target wasm32-unknown-unknown -- -D warnings

step "layout: the real-time core and the benchmarks pull in no browser crate (yew, web-sys, gloo) and not the app"
for crate in ppt-realtime ppt-bench; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -E '^(yew|web-sys|gloo|ppt-web) '; then
    echo "$crate depends on the crates above; the core must stay native and browser-free" >&2
    exit 1
  fi
done

step "release build of the app"
bash scripts/build-app.sh

step "native tests: protocol, server (SQLite), cluster (PostgreSQL), app logic, end-to-end in Chromium"
cargo test --workspace

step "the product as \`trunk build --release\` alone makes it (no minifying after): sign-in, live messages, a cut link"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
trunk build --release --offline --dist "$target_dir/plain-dist"
PPT_DIST="$target_dir/plain-dist" cargo test -p ppt-web --test e2e -- login:: \
  messages::a_message_reaches_the_open_inbox_at_once reconnect::catch_up_after_a_cut_link

step "the server's API and WebSocket suite again, on PostgreSQL"
PPT_TEST_DB=postgres cargo test -p ppt-server --test api

step "browser tests: wasm-bindgen-test in headless Chromium"
cargo test -p ppt-web --target wasm32-unknown-unknown --test browser

step "benchmarks, quick (figures only; fails if the app outgrows its size gate)"
PPT_APP_BUILT=1 bash scripts/bench.sh --quick

step "all layers passed"
