#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600) with cargo-fuzz on nightly, from the
# committed seed corpus (fuzz/corpus/<target>), and prints each one's last stats line.
# Not part of CI. Needs: rustup toolchain install nightly; cargo install --locked cargo-fuzz.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sync_body change_chunk repair_message byte_range nested_values)
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/jiazhan-fuzz-target}"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  # A scratch copy grows; the committed seeds stay as they are.
  work="$(mktemp -d)"
  cp -r "corpus/$t/." "$work/"
  cargo +nightly fuzz run "$t" "$work" -- -max_total_time="$seconds" \
    -artifact_prefix="artifacts/$t/" -rss_limit_mb=4096 -print_final_stats=1 \
    > "artifacts/$t.log" 2>&1 || echo "$t: FOUND A CRASH (see fuzz/artifacts/$t/)"
  grep -E "^#[0-9]+.*(DONE|pulse)" "artifacts/$t.log" | tail -1 | sed "s/^/$t: /"
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "artifacts/$t.log" | sed "s/^/$t: /"
  rm -rf "$work"
done
