#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, starts the sync server on
# 127.0.0.1 with demo data, and opens the desktop app connected to it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO"

PORT="${JIAZHAN_PORT:-8765}"
DATA="${JIAZHAN_HOME:-$HOME/.local/share/jiazhan-demo}"
mkdir -p "$DATA"

bash .ci/install.sh
bash .ci/build-ui.sh
echo "==> building app and sync server"
cargo build -q -p sync-server -p jiazhan

SERVER="$CARGO_TARGET_DIR/debug/jiazhan-sync-server"
# Demo data and one account of every role (this database only: the command refuses a
# database with other accounts). Passwords are kept in $DATA/demo-accounts.txt (0600), so
# every run prints the same ones.
accounts="$("$SERVER" --db "$DATA/server.db" demo-accounts --file "$DATA/demo-accounts.txt")" ||
  accounts="(none made: see the message above)"
"$SERVER" --db "$DATA/server.db" --bind "127.0.0.1:$PORT" --demo --web-app app/web-dist &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "sync server did not start"; exit 1; }

echo
echo "演示账号 / Demo accounts (server http://127.0.0.1:$PORT; the README says what each sees):"
echo "$accounts"
echo
echo "网页版（手机浏览器）/ The web app: http://127.0.0.1:$PORT/app/"
echo

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo
  echo "没有图形显示（DISPLAY 未设置），无法打开桌面应用。"
  echo "No display (DISPLAY is not set): the desktop app cannot open here."
  echo "The sync server keeps running at http://127.0.0.1:$PORT (data in $DATA); Ctrl-C stops it."
  echo "To see the app without a display: xvfb-run -a bash .ci/start.sh"
  wait $server
else
  echo "==> opening 家站通 (device data in $DATA/device)"
  "$CARGO_TARGET_DIR/debug/jiazhan" --data-dir "$DATA/device" --server "http://127.0.0.1:$PORT"
fi
