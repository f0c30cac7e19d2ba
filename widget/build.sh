#!/usr/bin/env bash
# Builds the widget into dist/assets/v1/ (served by the edge under /v1/):
#   leadform.js              hand-written loader (widget/loader/leadform.js), minified
#   leadform_widget.js       wasm-bindgen glue (ES module, --target web), minified
#   leadform_widget_bg.wasm  the form, wasm-opt -Oz (to a fixed point)
# Steps: cargo build (release, wasm32) -> wasm-bindgen -> wasm-opt -Oz --converge ->
# esbuild --minify of the glue and the loader (comments dropped: the loader's
# page-owner notes live in README.md and in the source file).
# Paths are relative to the repository root; CARGO_TARGET_DIR is honoured.
# Overrides: WASM_BINDGEN (default: wasm-bindgen on PATH or ~/.cargo/bin),
# WASM_OPT (default: tools/node_modules/.bin/wasm-opt), ESBUILD (default:
# tools/node_modules/.bin/esbuild).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
out=dist/assets/v1
wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
wasm_opt=${WASM_OPT:-$root/tools/node_modules/.bin/wasm-opt}
esbuild=${ESBUILD:-$root/tools/node_modules/.bin/esbuild}

step() { printf '[widget/build] %s\n' "$*" >&2; }
die() { printf '[widget/build] error: %s\n' "$*" >&2; exit 1; }

[[ -x $wasm_bindgen ]] || die "wasm-bindgen not found ($wasm_bindgen); run cargo xtask setup"
[[ -x $wasm_opt ]] || die "wasm-opt not found ($wasm_opt); run cargo xtask setup"
[[ -x $esbuild ]] || die "esbuild not found ($esbuild); run cargo xtask setup"

step "1/4 cargo build -p leadform-widget --release --target wasm32-unknown-unknown (target dir: $target_dir)"
cargo build -p leadform-widget --release --target wasm32-unknown-unknown
raw=$target_dir/wasm32-unknown-unknown/release/leadform_widget.wasm
[[ -f $raw ]] || die "cargo produced no $raw"

step "2/4 wasm-bindgen --target web -> $out/"
mkdir -p "$out"
"$wasm_bindgen" --target web --no-typescript --out-dir "$out" --out-name leadform_widget "$raw"

step "3/4 wasm-opt -Oz --converge $out/leadform_widget_bg.wasm"
# --flatten --rereloop before -Oz and dropping the informational custom
# sections each save a few hundred gzip bytes (measured, binaryen 132).
"$wasm_opt" --flatten --rereloop -Oz --converge --strip-producers --strip-target-features \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-mutable-globals --enable-multivalue \
  "$out/leadform_widget_bg.wasm" -o "$out/leadform_widget_bg.wasm.opt"
mv "$out/leadform_widget_bg.wasm.opt" "$out/leadform_widget_bg.wasm"

step "4/4 esbuild --minify: glue and loader -> $out/"
minify=(--minify --legal-comments=none --log-level=warning)
"$esbuild" "$out/leadform_widget.js" --format=esm "${minify[@]}" --outfile="$out/leadform_widget.min.js"
mv "$out/leadform_widget.min.js" "$out/leadform_widget.js"
"$esbuild" widget/loader/leadform.js "${minify[@]}" --outfile="$out/leadform.js"
# Owners' pages import the glue module and fetch the wasm cross-origin, so the
# static assets carry CORS headers (Cloudflare static assets `_headers` file).
printf '/v1/*\n  Access-Control-Allow-Origin: *\n' > dist/assets/_headers

for f in leadform.js leadform_widget.js leadform_widget_bg.wasm; do
  printf '[widget/build]   %-26s %8d bytes\n' "$f" "$(wc -c <"$out/$f")" >&2
done
step "done"
