#!/usr/bin/env bash
# Release build of the app into dist/ (Trunk, wasm-opt -Oz). Needs scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
# The standard library is compiled with the app, for size: a panic aborts on the spot instead
# of formatting a message the page never shows (see docs/performance-notes.md, issue 16).
# These are the installed compiler's own unstable switches (RUSTC_BOOTSTRAP), not a nightly
# toolchain; PPT_PREBUILT_STD=1 builds with the prebuilt standard library instead.
if [ "${PPT_PREBUILT_STD:-0}" != 1 ]; then
  export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
fi
# Trunk must not try to download tools: everything it needs is installed by setup.sh.
trunk build --release --offline "$@"
