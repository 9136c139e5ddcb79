#!/usr/bin/env bash
# The sync comparison benchmark: our server and automerge-repo, the same scenarios and
# documents, one table (sync-server/benches/compare.rs). Not run by CI.
#
#   bash sync-server/benches/automerge-repo/run.sh
#
# Installs the pinned npm packages (package-lock.json) into this folder's node_modules
# (nothing system-wide; install scripts off), builds the bench under the shared build
# lock, then runs it outside the lock. Environment:
#   CARGO_TARGET_DIR       where cargo builds (default: $HOME/.cache/jiazhan-target)
#   BUILD_LOCK             the lock file builds take (default: /tmp/jiazhan-build.lock)
#   COMPARE_ONLY           run only these scenarios, comma-separated (default: all but
#                          bootstrap-all), e.g. COMPARE_ONLY=week,bootstrap:
#                            one            one new ~1 KB record
#                            idle           idle sync of a device holding 5,007 documents
#                            week           a week offline (300 records in, 50 out)
#                            bootstrap      a new device's bootstrap of 30,050 records
#                                           (automerge-repo asking for 200 documents at a
#                                           time)
#                            swarm          500 clients at once
#                            leave          a client leaving mid-sync (75 s)
#                            bootstrap-all  automerge-repo's new device asking for every
#                                           document at once (never finishes: see
#                                           docs/BENCHMARKS.md; only when named)
#                          Our side still makes what a chosen scenario starts from (under
#                          a minute); automerge-repo's side runs only the chosen ones.
#   COMPARE_TIMEOUT_SECS   the limit of each automerge-repo step (default: 300)
#   COMPARE_KEEP=1         keep the bundles, storage and logs (the run prints where)
#
# A full run takes about 8 minutes after the build on a quiet machine (2026-12-08:
# 453 s; 636 s beside other builds), most of it automerge-repo's side (seeding its server's storage, its first sync and bootstrap);
# `COMPARE_ONLY=week` about 4.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiazhan-target}"
lock="${BUILD_LOCK:-/tmp/jiazhan-build.lock}"

command -v node >/dev/null || { echo "run.sh: node is needed (and npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "run.sh: npm is needed" >&2; exit 1; }

echo "== npm ci in $here (pinned by package-lock.json)" >&2
(cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)

echo "== building the bench (release) under $lock" >&2
cd "$root"
flock "$lock" cargo bench -p sync-server --bench compare --no-run

# The binary just built: the newest compare-* executable.
bench="$(find "$CARGO_TARGET_DIR/release/deps" -maxdepth 1 -type f -name 'compare-*' \
  -perm -u+x -printf '%T@ %p\n' | sort -rn | head -n 1 | cut -d' ' -f2-)"
[ -n "$bench" ] || { echo "run.sh: no compare bench binary under $CARGO_TARGET_DIR" >&2; exit 1; }

# 500 clients each side: many sockets at once.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== running $bench (outside the build lock)" >&2
exec "$bench"
