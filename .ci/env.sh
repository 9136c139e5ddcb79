# Shared settings for the scripts in .ci/ (sourced, not run).
# A target directory outside the clone, reused across runs and fresh clones.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiazhan-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# Tools from npm (binaryen's wasm-opt, pinned: see install.sh), outside the clone too.
export JIAZHAN_TOOLS="${JIAZHAN_TOOLS:-$HOME/.cache/jiazhan-tools}"
export BINARYEN_VERSION=132
export WASM_OPT="$JIAZHAN_TOOLS/node_modules/.bin/wasm-opt"
# C compiled for the browser (the core's worker: SQLite, ring) by Debian's clang 19.
export CC_wasm32_unknown_unknown="${CC_wasm32_unknown_unknown:-clang-19}"
export AR_wasm32_unknown_unknown="${AR_wasm32_unknown_unknown:-llvm-ar-19}"
# Keep incremental artifacts small; CI builds from scratch-ish clones anyway.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO
