#!/usr/bin/env bash
# Builds the widget into dist/assets/v1/ (served by the edge under /v1/):
#   leadform.js              hand-written loader (widget/loader/leadform.js), minified
#   leadform_widget.js       wasm-bindgen glue (ES module, --target web), minified
#   leadform_widget_bg.wasm  the form, wasm-opt -Oz (to a fixed point)
#   basic.js                 the no-wasm basic form (widget/loader/basic.js with widget.css), minified
# Steps: cargo build (release, wasm32, -Z build-std: see step 1) -> wasm-bindgen -> wasm-opt -Oz --converge ->
# wasm-opt renaming imports/exports to short names, applied to the glue by
# widget/minify-names.mjs ->
# esbuild --minify of the glue and the loader (comments dropped: the loader's
# page-owner notes live in README.md and in the source file).
# Paths are relative to the repository root; CARGO_TARGET_DIR is honoured.
# Overrides: WASM_BINDGEN (default: wasm-bindgen on PATH or ~/.cargo/bin),
# WASM_OPT (default: tools/node_modules/.bin/wasm-opt), ESBUILD (default:
# tools/node_modules/.bin/esbuild), NODE (default: tools/node_modules/.bin/node).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
out=dist/assets/v1
wasm_bindgen=${WASM_BINDGEN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}
wasm_opt=${WASM_OPT:-$root/tools/node_modules/.bin/wasm-opt}
esbuild=${ESBUILD:-$root/tools/node_modules/.bin/esbuild}
node=${NODE:-$root/tools/node_modules/.bin/node}

step() { printf '[widget/build] %s\n' "$*" >&2; }
die() { printf '[widget/build] error: %s\n' "$*" >&2; exit 1; }

[[ -x $wasm_bindgen ]] || die "wasm-bindgen not found ($wasm_bindgen); run cargo xtask setup"
[[ -x $wasm_opt ]] || die "wasm-opt not found ($wasm_opt); run cargo xtask setup"
[[ -x $node ]] || die "node not found ($node); run cargo xtask setup"
[[ -x $esbuild ]] || die "esbuild not found ($esbuild); run cargo xtask setup"

# Size build: std rebuilt from source for the widget alone (cargo -Z build-std)
# with the `immediate-abort` panic strategy, so no panic message, location or
# formatting code is linked (about 9 KB gzip); `-Zlocation-detail=none` and
# `-Zfmt-debug=none` drop the caller locations and `Debug` bodies std's own
# code still carries (about 400 bytes). These are unstable options,
# enabled on the stable toolchain with RUSTC_BOOTSTRAP=1 for this one command;
# they need the rust-src component (`cargo xtask setup` adds it). A toolchain
# that does not accept them gets the plain release build and a warning. The
# build has its own target dir: its flags differ from every other build's.
# Legacy symbol names: v0 names of std generics carry the crate that
# instantiated them (such as regex_automata, in the graph through validator
# but not linked), which would trip size-report.sh's forbidden-code check.
# One scratch directory for the whole build (the flag probe, wasm-opt's name
# map), removed however the script ends.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sysroot=$(rustc --print sysroot)
size_flags=(-Zunstable-options -Cpanic=immediate-abort -Csymbol-mangling-version=legacy -Zlocation-detail=none -Zfmt-debug=none)
if [[ -f $sysroot/lib/rustlib/src/rust/library/Cargo.lock ]] &&
  RUSTC_BOOTSTRAP=1 rustc "${size_flags[@]}" --crate-type lib --target wasm32-unknown-unknown \
    --emit=metadata -o "$scratch/probe.rmeta" - </dev/null 2>/dev/null; then
  build_dir=$target_dir/widget-size
  step "1/4 cargo build -p leadform-widget --release --target wasm32-unknown-unknown -Z build-std (target dir: $build_dir)"
  CARGO_TARGET_DIR=$build_dir RUSTC_BOOTSTRAP=1 RUSTFLAGS="${size_flags[*]}" \
    cargo build -p leadform-widget --release --target wasm32-unknown-unknown \
    -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size
else
  printf '[widget/build] warning: %s\n' \
    "rust-src or -Cpanic=immediate-abort is missing from this toolchain ($(rustc -V)); plain release build, about 9 KB gzip bigger" >&2
  build_dir=$target_dir
  step "1/4 cargo build -p leadform-widget --release --target wasm32-unknown-unknown (target dir: $build_dir)"
  cargo build -p leadform-widget --release --target wasm32-unknown-unknown
fi
raw=$build_dir/wasm32-unknown-unknown/release/leadform_widget.wasm
[[ -f $raw ]] || die "cargo produced no $raw"
# The linked module keeps its function names: size-report.sh checks them.
cp "$raw" "$target_dir/leadform_widget.linked.wasm"

step "2/4 wasm-bindgen --target web -> $out/"
mkdir -p "$out"
"$wasm_bindgen" --target web --no-typescript --out-dir "$out" --out-name leadform_widget "$raw"

step "3/4 wasm-opt -Oz --converge $out/leadform_widget_bg.wasm, short import/export names"
# --flatten --rereloop before -Oz and dropping the informational custom
# sections each save a few hundred gzip bytes (measured, binaryen 132), and so
# do two facts wasm-opt cannot see: the module's own memory starts zeroed (it
# is not imported), and nothing lives in its first 1 KiB (Rust's stack ends at
# 1 MiB, data above it). By default wasm-opt inlines every function that has
# one caller, whatever its size: that folds most of the widget into `mount`
# and leaves gzip less repetition to find. Inlining only small ones (at most
# 20 instructions; 15-25 measure alike) makes the wasm 2 KB larger raw and
# 2 KB smaller gzipped. Not used: --traps-never-happen (another 680 bytes),
# which makes a would-be trap undefined behaviour instead of a stopped form.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-mutable-globals --enable-multivalue)
# The IntoUnderlying* exports are wasm-streams' (through server_fn, which a
# CSR widget never calls): removed here with their code, and their classes
# from the glue by drop-stream-exports.mjs.
"$node" widget/drop-stream-exports.mjs "$out/leadform_widget.js" ||
  die "could not drop the stream classes from the glue"
"$wasm_opt" --remove-exports --pass-arg='remove-exports@intounderlying*' \
  --flatten --rereloop -Oz --converge --strip-producers --strip-target-features \
  --zero-filled-memory --low-memory-unused --one-caller-inline-max-function-size=20 \
  "${features[@]}" "$out/leadform_widget_bg.wasm" -o "$out/leadform_widget_bg.wasm.opt"
# A separate run: under --converge the renaming would repeat. It prints the
# old -> new map, which minify-names.mjs applies to the glue.
names_map=$scratch/names.json
"$wasm_opt" --minify-imports-and-exports-and-modules "${features[@]}" \
  "$out/leadform_widget_bg.wasm.opt" -o "$out/leadform_widget_bg.wasm" >"$names_map"
rm "$out/leadform_widget_bg.wasm.opt"
"$node" widget/minify-names.mjs "$names_map" "$out/leadform_widget.js" ./leadform_widget_bg.js \
  "$out/leadform_widget_bg.wasm" || die "could not apply the short wasm names to the glue"

step "4/4 esbuild --minify: glue and loader -> $out/"
minify=(--minify --legal-comments=none --log-level=warning)
"$esbuild" "$out/leadform_widget.js" --format=esm "${minify[@]}" --outfile="$out/leadform_widget.min.js"
mv "$out/leadform_widget.min.js" "$out/leadform_widget.js"
"$esbuild" widget/loader/leadform.js "${minify[@]}" --outfile="$out/leadform.js"
# The basic form, with the widget's stylesheet minified into it as text.
"$esbuild" widget/src/widget.css --minify --log-level=warning --outfile="$scratch/widget.css"
"$esbuild" widget/loader/basic.js --bundle --format=esm --loader:.css=text \
  --alias:leadform:widget.css="$scratch/widget.css" "${minify[@]}" --outfile="$out/basic.js"
# Owners' pages import the glue module and fetch the wasm cross-origin, so the
# static assets carry CORS headers (Cloudflare static assets `_headers` file).
printf '/v1/*\n  Access-Control-Allow-Origin: *\n' > dist/assets/_headers

for f in leadform.js leadform_widget.js leadform_widget_bg.wasm basic.js; do
  printf '[widget/build]   %-26s %8d bytes\n' "$f" "$(wc -c <"$out/$f")" >&2
done
step "done"
