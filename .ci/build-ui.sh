#!/usr/bin/env bash
# Builds the Leptos UI to app/dist (wasm + wasm-bindgen JS + static files), which the
# Tauri shell embeds at compile time. No trunk. The wasm is shrunk with wasm-opt from npm
# binaryen 132 (installed by install.sh; never Debian's 108, which breaks the output).
# JIAZHAN_WASM_OPT=0 skips wasm-opt (a faster build, a 2.5x larger bundle).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

# `--emit-relocs` keeps the linker's relocations in the UI's wasm, which wasm-split-cli
# needs (below); for the UI's own link only, so the core's worker (built after) has none.
cargo rustc -q -p app --bin app --target wasm32-unknown-unknown --profile wasm-release -- \
  -C link-args=--emit-relocs
rm -rf app/dist && mkdir -p app/dist
# The rarely used screens (app/src/lazy.rs) are cut out of the main module into chunks
# and a loader, `__wasm_split.js`, which the main module imports; then wasm-bindgen
# makes the main module's JS.
split="$CARGO_TARGET_DIR/wasm-split"
rm -rf "$split" && mkdir -p "$split"
wasm-split-cli --target web --out-name app \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/app.wasm" "$split"
# --keep-lld-exports: the chunks import the function table the linker exported.
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir app/dist --out-name app \
  "$split/app.wasm"
find "$split" -maxdepth 1 -type f ! -name app.wasm -exec cp {} app/dist/ \;
cp app/static/* app/dist/
# The locale files, fetched at start (only the chosen language).
mkdir -p app/dist/locales
cp app/locales/*.json app/dist/locales/

wasm=app/dist/app_bg.wasm
size() { printf '%s raw, %s gzipped' "$(numfmt --to=si --suffix=B "$(stat -c %s "$1")")" \
  "$(numfmt --to=si --suffix=B "$(gzip -9 -c "$1" | wc -c)")"; }
# The lazily loaded screens' chunks together, gzipped one by one.
chunks() { local n=0; for f in app/dist/*.wasm; do [ "$f" = "$wasm" ] && continue
  n=$((n + $(gzip -9 -c "$f" | wc -c))); done; numfmt --to=si --suffix=B "$n"; }
before="$(size "$wasm")"
if [ "${JIAZHAN_WASM_OPT:-1}" != 0 ]; then
  [ -x "$WASM_OPT" ] || { echo "wasm-opt missing: run bash .ci/install.sh"; exit 1; }
  # The features rustc (>= 1.87) enables for wasm32-unknown-unknown by default, which
  # wasm-bindgen's output relies on (reference types for its externref table). Each
  # chunk is optimised on its own: what it imports from the main module keeps its name.
  for f in app/dist/*.wasm; do
    "$WASM_OPT" -Oz \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
      --enable-sign-ext --enable-mutable-globals --enable-multivalue \
      -o "$f.opt" "$f"
    mv "$f.opt" "$f"
  done
  echo "==> UI wasm at start: $before; after wasm-opt -Oz: $(size "$wasm")"
else
  echo "==> UI wasm at start: $before (wasm-opt skipped)"
fi
echo "==> the screens loaded on demand: $(find app/dist -maxdepth 1 -name '*.wasm' ! -name app_bg.wasm | wc -l) chunks, $(chunks) gzipped"
echo "==> UI built: $(du -sh app/dist | cut -f1) in app/dist"

# The web app (app/web-dist, served by the sync server at /app): the same UI, the core
# in its dedicated worker (app/worker), the service worker that keeps it all offline,
# and the web app manifest.
cargo build -q -p core-worker --target wasm32-unknown-unknown --profile wasm-release
web=app/web-dist
rm -rf "$web" && cp -r app/dist "$web" && mkdir -p "$web/core" "$web/icons"
wasm-bindgen --target web --no-typescript --out-dir "$web/core" --out-name core \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/core_worker.wasm"
core="$web/core/core_bg.wasm"
core_before="$(size "$core")"
if [ "${JIAZHAN_WASM_OPT:-1}" != 0 ]; then
  "$WASM_OPT" -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    -o "$core.opt" "$core"
  mv "$core.opt" "$core"
fi
cp app/worker/worker.js "$web/core/"
cp icons/128x128@2x.png "$web/icons/256.png"
cp icons/icon.png "$web/icons/1024.png"
# The service worker names the build by its files' hash and lists what it keeps.
files="$(cd "$web" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)"
build="$(cd "$web" && echo "$files" | xargs sha256sum | sha256sum | cut -c1-16)"
list="$(echo "$files" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')"
python3 - "$build" "$list" app/web/sw.js > "$web/sw.js" <<'PY'
import sys
build, files, source = sys.argv[1:]
print(open(source).read().replace("__BUILD__", build).replace("__FILES__", files), end="")
PY
# Served gzipped where the browser takes it (the server picks `<file>.gz`).
find "$web" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.json' \
  -o -name '*.html' -o -name '*.webmanifest' \) -exec gzip -9 -k -f {} \;
echo "==> core wasm at start: $core_before; after wasm-opt: $(size "$core")"
echo "==> web app built: $(du -sh "$web" | cut -f1) in $web (build $build)"
