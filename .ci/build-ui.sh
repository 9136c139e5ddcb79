#!/usr/bin/env bash
# Builds the Leptos UI to app/dist (wasm + wasm-bindgen JS + static files), which the
# Tauri shell embeds at compile time. No trunk, no wasm-opt (Debian's breaks the output).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

cargo build -q -p app --target wasm32-unknown-unknown --profile wasm-release
mkdir -p app/dist
wasm-bindgen --target web --no-typescript --out-dir app/dist --out-name app \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/app.wasm"
cp app/static/* app/dist/
echo "==> UI built: $(du -sh app/dist | cut -f1) in app/dist"
