#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster owned by the test run (Debian's `postgresql`
# package; no system cluster is used or needed):
#   bash .ci/pg.sh start DIR   # makes and starts one in DIR, on a Unix socket there
#                              # only; prints its superuser's URL (JIAZHAN_TEST_PG)
#   bash .ci/pg.sh stop DIR    # stops it and removes DIR
# With JIAZHAN_PG_DURABLE=1 the cluster waits for the disk as a production one does.
# initdb refuses to run as root: as root, DIR goes to `postgres` and the tools run as it.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
cmd=$1
dir=$2
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    as_pg "$BIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    # Nothing here is kept: no TCP, no waiting for the disk (JIAZHAN_PG_DURABLE=1 keeps
    # PostgreSQL's durable defaults, for benchmarks).
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${JIAZHAN_PG_DURABLE:-0}" = 1 ] && durability=""
    as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-c listen_addresses='' -k $dir $durability -c max_connections=300" \
      start >/dev/null
    echo "postgres://postgres@/postgres?host=$dir"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
