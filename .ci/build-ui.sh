#!/usr/bin/env bash
# Builds the Leptos UI to app/dist (wasm + wasm-bindgen JS + static files), which the
# Tauri shell embeds at compile time. No trunk. The wasm is shrunk with wasm-opt from npm
# binaryen 132 (installed by install.sh; never Debian's 108, which breaks the output).
# JIAZHAN_WASM_OPT=0 skips wasm-opt (a faster build, a 2.5x larger bundle).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

cargo build -q -p app --target wasm32-unknown-unknown --profile wasm-release
mkdir -p app/dist
wasm-bindgen --target web --no-typescript --out-dir app/dist --out-name app \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/app.wasm"
cp app/static/* app/dist/
# The locale files, fetched at start (only the chosen language).
mkdir -p app/dist/locales
cp app/locales/*.json app/dist/locales/

wasm=app/dist/app_bg.wasm
size() { printf '%s raw, %s gzipped' "$(numfmt --to=si --suffix=B "$(stat -c %s "$1")")" \
  "$(numfmt --to=si --suffix=B "$(gzip -9 -c "$1" | wc -c)")"; }
before="$(size "$wasm")"
if [ "${JIAZHAN_WASM_OPT:-1}" != 0 ]; then
  [ -x "$WASM_OPT" ] || { echo "wasm-opt missing: run bash .ci/install.sh"; exit 1; }
  # The features rustc (>= 1.87) enables for wasm32-unknown-unknown by default, which
  # wasm-bindgen's output relies on (reference types for its externref table).
  "$WASM_OPT" -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    -o "$wasm.opt" "$wasm"
  mv "$wasm.opt" "$wasm"
  echo "==> UI wasm: $before; after wasm-opt -Oz: $(size "$wasm")"
else
  echo "==> UI wasm: $before (wasm-opt skipped)"
fi
echo "==> UI built: $(du -sh app/dist | cut -f1) in app/dist"
