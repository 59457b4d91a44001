#!/usr/bin/env bash
# Release build of the app into dist/ (Trunk, wasm-opt -Oz). Needs scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
# Trunk must not try to download tools: everything it needs is installed by setup.sh.
trunk build --release --offline "$@"
