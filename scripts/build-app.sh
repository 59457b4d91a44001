#!/usr/bin/env bash
# Release build of the app into dist/: `trunk build --release` on the stable toolchain (the
# wasm-release profile and wasm-opt, both named in index.html), then esbuild minifies the JS
# loader. Trunk's output alone is a working product; the minifying saves a few KiB. Needs
# scripts/setup.sh first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PPT_ROOT"
# Trunk must not try to download tools: everything it needs is installed by setup.sh.
trunk build --release --offline "$@"

# Trunk minifies the page and the CSS, but its JS minifier cannot read wasm-bindgen's loader
# (`export default`): esbuild minifies it, and the page's integrity hash for it is made again.
loader="$(find dist -maxdepth 1 -name 'ppt-web-*.js' ! -name '*_bg*' | head -n 1)"
[ -n "$loader" ] || { echo "build-app.sh: Trunk wrote no loader into dist/" >&2; exit 1; }
"$PPT_TOOLS/node_modules/.bin/esbuild" "$loader" --minify --format=esm --log-level=warning \
  --outfile="$loader.min" --allow-overwrite
mv "$loader.min" "$loader"
node - "$loader" dist/index.html <<'JS'
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
