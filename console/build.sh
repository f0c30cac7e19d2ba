#!/usr/bin/env bash
# Builds the owner console into dist/assets/console/ (served by the edge at /console/):
#   index.html, start.js, console.css   static files from console/static/
#   leadform_console.js                 wasm-bindgen glue (ES module, --target web), minified
#   leadform_console_bg.wasm            the app, wasm-opt -Oz
# Steps: cargo build (release, wasm32) -> wasm-bindgen -> wasm-opt -Oz ->
# esbuild --minify of the glue -> copy the static files. Paths are relative to the repository root;
# CARGO_TARGET_DIR is honoured. Overrides: WASM_BINDGEN, WASM_OPT (as in
# widget/build.sh), ESBUILD.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
out=dist/assets/console
wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
wasm_opt=${WASM_OPT:-$root/tools/node_modules/.bin/wasm-opt}
esbuild=${ESBUILD:-$root/tools/node_modules/.bin/esbuild}

step() { printf '[console/build] %s\n' "$*" >&2; }
die() { printf '[console/build] error: %s\n' "$*" >&2; exit 1; }

[[ -x $wasm_bindgen ]] || die "wasm-bindgen not found ($wasm_bindgen); run cargo xtask setup"
[[ -x $wasm_opt ]] || die "wasm-opt not found ($wasm_opt); run cargo xtask setup"
[[ -x $esbuild ]] || die "esbuild not found ($esbuild); run cargo xtask setup"

step "1/3 cargo build -p leadform-console --release --target wasm32-unknown-unknown"
cargo build -p leadform-console --release --target wasm32-unknown-unknown
raw=$target_dir/wasm32-unknown-unknown/release/leadform_console.wasm
[[ -f $raw ]] || die "cargo produced no $raw"

step "2/3 wasm-bindgen --target web -> $out/"
mkdir -p "$out"
"$wasm_bindgen" --target web --no-typescript --out-dir "$out" --out-name leadform_console "$raw"

step "3/3 wasm-opt -Oz, esbuild --minify of the glue, static files"
"$wasm_opt" -Oz --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-mutable-globals --enable-multivalue \
  "$out/leadform_console_bg.wasm" -o "$out/leadform_console_bg.wasm"
"$esbuild" "$out/leadform_console.js" --format=esm --minify --legal-comments=none --log-level=warning \
  --outfile="$out/leadform_console.min.js"
mv "$out/leadform_console.min.js" "$out/leadform_console.js"
cp console/static/index.html console/static/start.js console/static/console.css "$out/"

for f in index.html start.js console.css leadform_console.js leadform_console_bg.wasm; do
  printf '[console/build]   %-26s %8d bytes raw %8d gzip\n' "$f" "$(wc -c <"$out/$f")" "$(gzip -9c "$out/$f" | wc -c)" >&2
done
step "done"
