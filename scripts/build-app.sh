#!/usr/bin/env bash
# Release build of the app into dist/ (Trunk, wasm-opt -Oz, esbuild). Needs scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
# The standard library is compiled with the app, for size: a panic aborts on the spot instead
# of formatting a message the page never shows, and `Debug` formatting and panic locations
# are left out (the app shows nothing through `{:?}`; see docs/performance-notes.md, issue 16).
# These are the installed compiler's own unstable switches (RUSTC_BOOTSTRAP), not a nightly
# toolchain; PPT_PREBUILT_STD=1 builds with the prebuilt standard library instead.
if [ "${PPT_PREBUILT_STD:-0}" != 1 ]; then
  export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  # The standard library's smaller variants (sorting, number formatting): 4.5 KB gzip less.
  export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"
  # The standard library's own dependencies (its Cargo.lock, in rust-src) must be in cargo's
  # cache before the offline build below; on a fresh machine they are fetched once.
  std_manifest="$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
  cargo fetch --offline --quiet --manifest-path "$std_manifest" 2>/dev/null ||
    cargo fetch --quiet --manifest-path "$std_manifest"
fi
# Trunk must not try to download tools: everything it needs is installed by setup.sh.
trunk build --release --offline "$@"

# Trunk minifies the page and the CSS, but its JS minifier cannot read wasm-bindgen's loader
# (`export default`): esbuild minifies it.
loader="$(find dist -maxdepth 1 -name 'ppt-web-*.js' ! -name '*_bg*' | head -n 1)"
if [ -n "$loader" ]; then
  "$PPT_TOOLS/node_modules/.bin/esbuild" "$loader" --minify --format=esm --log-level=warning \
    --outfile="$loader.min" --allow-overwrite
  mv "$loader.min" "$loader"
fi

# The names the wasm and the loader call each other by, shortened in both (3-4 KB gzip; see
# scripts/wasm-names.js): binaryen renames them in the wasm, the script in the loader.
wasm="$(find dist -maxdepth 1 -name 'ppt-web-*_bg.wasm' | head -n 1)"
if [ -n "$loader" ] && [ -n "$wasm" ]; then
  wasm-opt "$wasm" --minify-imports-and-exports-and-modules -o "$wasm.min" \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue > "$wasm.names.json"
  node "$PPT_ROOT/scripts/wasm-names.js" "$loader" "$wasm.names.json"
  mv "$wasm.min" "$wasm"
  rm "$wasm.names.json"
fi

# The page's integrity hashes for the files changed above, made again.
for file in $loader $wasm; do
  node - "$file" dist/index.html <<'JS'
const fs = require("fs");
const crypto = require("crypto");
const [file, index] = process.argv.slice(2);
const name = "/" + require("path").basename(file);
const sri = "sha384-" + crypto.createHash("sha384").update(fs.readFileSync(file)).digest("base64");
const html = fs.readFileSync(index, "utf8");
const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const tag = new RegExp(`(href=["']?${escaped}["']?[^>]*?integrity=["']?)sha384-[A-Za-z0-9+/=]+`);
if (!tag.test(html)) throw new Error(`no integrity for ${name} in ${index}`);
fs.writeFileSync(index, html.replace(tag, `$1${sri}`));
JS
done
