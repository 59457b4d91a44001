# Sourced by the scripts: where tools and build output live, pinned tool versions.
# shellcheck shell=bash
PPT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PPT_ROOT
export TRUNK_VERSION="0.21.14"
export WASM_BINDGEN_VERSION="0.2.130"
export BINARYEN_VERSION="132"
export SOCKETIO_VERSION="4.8"
export AXE_VERSION="4.14.1"
export ESBUILD_VERSION="0.25.12"
export LIGHTHOUSE_VERSION="12.2.3"
export PPT_TOOLS="${PPT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/ppt-web/tools}"
export PATH="$PPT_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
