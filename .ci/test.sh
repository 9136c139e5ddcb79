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
cargo clippy -q -p core-worker --target wasm32-unknown-unknown -- -D warnings
echo "==> PostgreSQL for the tests (a throwaway cluster, stopped at the end)"
PG_DIR="$(mktemp -d)"
trap 'bash .ci/pg.sh stop "$PG_DIR"' EXIT
JIAZHAN_TEST_PG="$(bash .ci/pg.sh start "$PG_DIR")"
export JIAZHAN_TEST_PG
echo "==> tests (unit, integration, end-to-end under Xvfb)"
cargo test --workspace
echo "==> the server's suites again, on PostgreSQL"
JIAZHAN_TEST_BACKEND=postgres cargo test -p sync-server \
  --test auth --test hostile --test bounds --test records --test kill --test directory --test tls \
  --test public
JIAZHAN_TEST_BACKEND=postgres cargo test -p jiazhan --test sync --test instances
