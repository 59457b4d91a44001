#!/usr/bin/env bash
# Installs only what is missing for building and testing ppt-web; safe to run again.
#   scripts/setup.sh            toolchain for building the app (wasm32, trunk, wasm-bindgen, wasm-opt, esbuild)
#   scripts/setup.sh --browser  the same plus Chromium, chromedriver and axe-core for the browser tests
#   scripts/setup.sh --cluster  the same plus HAProxy, the load balancer of scripts/cluster.sh
#   scripts/setup.sh --bench    all of the above plus socket.io and Lighthouse (npm) for the benchmarks
# Prints the PATH addition needed for wasm-opt; scripts/env.sh sources the same settings.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

want_browser=0
want_bench=0
want_cluster=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --cluster) want_cluster=1 ;;
    --bench) want_browser=1; want_bench=1; want_cluster=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (takes a few minutes once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock.
wb_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$PPT_ROOT/Cargo.lock" 2>/dev/null || true)"
wb_version="${wb_version:-$WASM_BINDGEN_VERSION}"
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version"
  # Not --locked: one of its locked dependencies is gone from the registry.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# wasm-opt, esbuild and axe-core come from npm: Node.js from Debian when it is missing.
if ! command -v npm >/dev/null; then
  say "installing nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi

# Debian's binaryen is too old for today's Rust wasm; npm's binaryen works.
if [ ! -x "$PPT_TOOLS/node_modules/.bin/wasm-opt" ]; then
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into $PPT_TOOLS"
  mkdir -p "$PPT_TOOLS"
  (cd "$PPT_TOOLS" && npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION")
fi

# Trunk's own JS minifier cannot read wasm-bindgen's loader; esbuild (npm) minifies it.
if [ ! -x "$PPT_TOOLS/node_modules/.bin/esbuild" ]; then
  say "installing esbuild@$ESBUILD_VERSION (npm) into $PPT_TOOLS"
  mkdir -p "$PPT_TOOLS"
  (cd "$PPT_TOOLS" && npm install --no-audit --no-fund --silent "esbuild@$ESBUILD_VERSION")
fi

if [ "$want_browser" = 1 ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
# The e2e suite checks every page's accessibility with axe-core (npm).
if [ "$want_browser" = 1 ] && [ ! -f "$PPT_TOOLS/node_modules/axe-core/axe.min.js" ]; then
  say "installing axe-core@$AXE_VERSION (npm) into $PPT_TOOLS"
  mkdir -p "$PPT_TOOLS"
  (cd "$PPT_TOOLS" && npm install --no-audit --no-fund --silent "axe-core@$AXE_VERSION")
fi
if [ "$want_cluster" = 1 ] && ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
  say "installing haproxy"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq haproxy >/dev/null
fi
# The API suite checks the metrics' exposition with promtool (Debian's prometheus package).
if [ "$want_cluster" = 1 ] && ! command -v promtool >/dev/null; then
  say "installing prometheus (for promtool)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# The benchmarks compare ppt-server with a Node.js Socket.IO server doing the same job.
if [ "$want_bench" = 1 ] && [ ! -f "$PPT_TOOLS/node_modules/socket.io/package.json" ]; then
  say "installing socket.io@$SOCKETIO_VERSION (npm) into $PPT_TOOLS"
  mkdir -p "$PPT_TOOLS"
  (cd "$PPT_TOOLS" && npm install --no-audit --no-fund --silent "socket.io@$SOCKETIO_VERSION")
fi
# The benchmarks score the app with Lighthouse (npm; 12.2.3 is the last to run on Node.js 20).
if [ "$want_bench" = 1 ] && [ ! -f "$PPT_TOOLS/node_modules/lighthouse/package.json" ]; then
  say "installing lighthouse@$LIGHTHOUSE_VERSION (npm) into $PPT_TOOLS"
  mkdir -p "$PPT_TOOLS"
  (cd "$PPT_TOOLS" && npm install --no-audit --no-fund --silent -E "lighthouse@$LIGHTHOUSE_VERSION")
fi
say "tools ready"
