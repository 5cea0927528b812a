#!/usr/bin/env bash
# The README's first command: install what is missing, build kilnd, start it on loopback, train
# a small model from the Python client (the loss falls), print where the metrics are, stop kilnd.
#   tools/demo.sh           all of it; kilnd is stopped at the end
#   tools/demo.sh --keep    leave kilnd running afterwards (its pid in .out/kilnd.pid)
#   tools/demo.sh --stop    stop a kilnd left running by --keep
# Env: KILN_PORT (default 7878), KILN_METRICS_PORT (default 9478).
set -euo pipefail
cd "$(dirname "$0")/.."
cache=""
[ -d /work/.bazel-disk-cache ] && cache="--disk_cache=/work/.bazel-disk-cache"  # the shared dev box
mkdir -p .out
pidfile=.out/kilnd.pid

stop() {
  if [ -f "$pidfile" ]; then
    kill -TERM "$(cat "$pidfile")" 2>/dev/null && echo "demo: kilnd stopped" || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  --stop) stop; exit 0 ;;
  --keep|"") ;;
  *) echo "usage: tools/demo.sh [--keep|--stop]" >&2; exit 2 ;;
esac

tools/setup.sh
echo "demo: building kilnd"
bazel build $cache //server:kilnd

stop  # a daemon from an earlier --keep
port=${KILN_PORT:-7878}
mport=${KILN_METRICS_PORT:-9478}
bazel-bin/server/kilnd --listen="127.0.0.1:$port" --metrics_listen="127.0.0.1:$mport" \
  --port_file=.out/kilnd.port >.out/kilnd.log 2>&1 &
echo $! >"$pidfile"
[ "${1:-}" = "--keep" ] || trap stop EXIT
for _ in $(seq 100); do [ -s .out/kilnd.port ] && break; sleep 0.1; done
[ -s .out/kilnd.port ] || { echo "demo: kilnd did not start:"; cat .out/kilnd.log; exit 1; }
echo "demo: kilnd on 127.0.0.1:$port, metrics at http://127.0.0.1:$mport/metrics"

KILN_ADDRESS="127.0.0.1:$port" KILN_METRICS="http://127.0.0.1:$mport/metrics" \
  /usr/bin/python3 clients/python/examples/regression.py
echo "demo: a few of kilnd's metrics:"
curl -s "http://127.0.0.1:$mport/metrics" | grep -E '^kiln_(ops_total\{op="mul"\}|batches_total|upload_bytes_total|sessions_active)' || true
rm -f .out/kilnd.port
