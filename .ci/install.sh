#!/usr/bin/env bash
# Installs everything the build and tests need on Debian 12, skipping what is there.
# Only package registries are used: Debian apt, crates.io, rustup components, npm.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

TAURI_DRIVER_VERSION=2.1.0
# Cuts the UI's rarely used screens into chunks (app/src/lazy.rs); it reads the section
# that the wasm_split_macros in Cargo.lock (through leptos) write.
WASM_SPLIT_VERSION=0.2.3
APT_PACKAGES=(
  build-essential pkg-config curl file libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libsoup-3.0-dev libxdo-dev
  xvfb xauth webkit2gtk-driver fonts-noto-cjk fonts-dejavu-core locales poppler-utils chromium chromium-driver postgresql
  # The core's SQLite (SQLite3 Multiple Ciphers) and ring compiled for the browser
  # (wasm32): Debian's default clang 14 fails on the C23 in sqlite-wasm-rs's shim.
  clang-19 llvm-19
)
# npm (for binaryen's wasm-opt) comes with Debian's nodejs+npm, or with a nodejs that
# bundles it (NodeSource's): ask apt only when there is no npm at all.
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The locale the app sets for its webview when it speaks Chinese on a system that does
# not (dates, the calendar, the file picker: src/lib.rs, webview_locale).
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
  echo "==> generating the zh_CN.UTF-8 locale"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO sed -i 's/^# *zh_CN.UTF-8 UTF-8/zh_CN.UTF-8 UTF-8/' /etc/locale.gen
  grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen || echo 'zh_CN.UTF-8 UTF-8' | $SUDO tee -a /etc/locale.gen >/dev/null
  $SUDO locale-gen >/dev/null
fi

installed_targets="$(rustup target list --installed)"
grep -qx wasm32-unknown-unknown <<<"$installed_targets" || rustup target add wasm32-unknown-unknown
installed_components="$(rustup component list --installed)"
for c in rustfmt clippy; do
  grep -q "^$c" <<<"$installed_components" || rustup component add "$c"
done

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock. It installs without
# --locked (with it, dependency resolution fails); never into our target dir.
wbg_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
  echo "==> cargo install wasm-bindgen-cli $wbg_version"
  (cd /tmp && env -u CARGO_TARGET_DIR cargo install -q --force wasm-bindgen-cli --version "$wbg_version")
fi

if ! cargo install --list | grep -q "^tauri-driver v$TAURI_DRIVER_VERSION:"; then
  echo "==> cargo install tauri-driver $TAURI_DRIVER_VERSION"
  (cd /tmp && env -u CARGO_TARGET_DIR cargo install -q --locked --force tauri-driver --version "$TAURI_DRIVER_VERSION")
fi

if ! cargo install --list | grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  echo "==> cargo install wasm_split_cli_support $WASM_SPLIT_VERSION (wasm-split-cli)"
  (cd /tmp && env -u CARGO_TARGET_DIR cargo install -q --locked --force wasm_split_cli_support \
    --version "$WASM_SPLIT_VERSION" --features build-binary)
fi

# wasm-opt shrinks the UI's wasm. Pinned: Debian's binaryen (108) breaks wasm-bindgen
# output (a blank page, "Argument value did not match the reference type"); npm's 132 works.
# Into its own prefix next to the target dir, never system-wide.
if [ "$("$WASM_OPT" --version 2>/dev/null | awk '{print $3}')" != "$BINARYEN_VERSION" ]; then
  echo "==> npm install binaryen@$BINARYEN_VERSION (wasm-opt) into $JIAZHAN_TOOLS"
  mkdir -p "$JIAZHAN_TOOLS"
  npm install --prefix "$JIAZHAN_TOOLS" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "binaryen@$BINARYEN_VERSION.0.0"
fi

# axe-core, the accessibility audit the end-to-end tests run on every screen they
# photograph (tests/e2e.rs, App::audit). Its own prefix: an npm install into the
# binaryen one would prune wasm-opt.
AXE_VERSION=4.11.0
if [ "$(node -p "require('$JIAZHAN_TOOLS/axe/node_modules/axe-core/package.json').version" 2>/dev/null)" != "$AXE_VERSION" ]; then
  echo "==> npm install axe-core@$AXE_VERSION into $JIAZHAN_TOOLS/axe"
  mkdir -p "$JIAZHAN_TOOLS/axe"
  npm install --prefix "$JIAZHAN_TOOLS/axe" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "axe-core@$AXE_VERSION"
fi
