# Shared settings for the scripts in .ci/ (sourced, not run).
# A target directory outside the clone, reused across runs and fresh clones.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiazhan-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# Keep incremental artifacts small; CI builds from scratch-ish clones anyway.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO
