// Shortens the names the app's wasm and its JS loader know each other by.
//
//   node scripts/wasm-names.js <loader.js> <names.json>
//
// wasm-bindgen names every import `__wbg_<name>_<16-hex hash>` under the module
// "./ppt-web_bg.js", and closure exports after their full Rust types: about 10 KB of names,
// half of them hashes, which compress poorly, in the wasm and again in the loader. binaryen's
// `--minify-imports-and-exports-and-modules` renames them in the wasm (to `a`, `b`, ... under
// the module `a`) and prints what it renamed (<names.json>); this renames the same in the
// loader, where imports are the keys of one object and exports are read as `wasm.<name>`.
// Any name not found exactly where expected stops the build: a loader of another shape must
// not go out half renamed.
"use strict";
const fs = require("fs");

const [loaderPath, namesPath] = process.argv.slice(2);
const names = JSON.parse(fs.readFileSync(namesPath, "utf8"));
let js = fs.readFileSync(loaderPath, "utf8");
const fail = (why) => {
  console.error(`wasm-names: ${why}`);
  process.exit(1);
};
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const identifier = /^[A-Za-z_$][\w$]*$/;

const modules = new Set(names.imports.map(([module]) => module));
if (modules.size !== 1) fail(`expected one import module, found ${[...modules].join(", ")}`);
const moduleKey = `${JSON.stringify([...modules][0])}:`;
if (js.split(moduleKey).length !== 2) fail(`the loader does not name ${moduleKey} once`);
js = js.replace(moduleKey, "a:");

for (const [, old, renamed] of names.imports) {
  if (!identifier.test(renamed)) fail(`${renamed} is not a plain name`);
  const key = new RegExp(`(?<![\\w$])${escape(old)}:`, "g");
  const found = js.match(key)?.length ?? 0;
  if (found !== 1) fail(`import ${old} is a key ${found} times in the loader, not once`);
  js = js.replace(key, `${renamed}:`);
}

for (const [old, renamed] of names.exports) {
  if (!identifier.test(renamed)) fail(`${renamed} is not a plain name`);
  const anywhere = new RegExp(`(?<![\\w$])${escape(old)}(?![\\w$])`, "g");
  const read = new RegExp(`\\.${escape(old)}(?![\\w$])`, "g");
  const all = js.match(anywhere)?.length ?? 0;
  const reads = js.match(read)?.length ?? 0;
  // `memory` may also be a word elsewhere; every other export must only be read as a field.
  if (old !== "memory" && all !== reads) fail(`export ${old} appears other than as wasm.${old}`);
  js = js.replace(read, `.${renamed}`);
}

fs.writeFileSync(loaderPath, js);
