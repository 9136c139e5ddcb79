#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs every check.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

bash .ci/install.sh
echo "==> fmt"
cargo fmt --all -- --check
echo "==> UI"
bash .ci/build-ui.sh
echo "==> clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
cargo clippy -q -p app --target wasm32-unknown-unknown -- -D warnings
echo "==> tests (unit, integration, end-to-end under Xvfb)"
cargo test --workspace
