#!/usr/bin/env bash
# Fails when a committed generated file differs from what the table and samples give now
# (fix: tools/regen.sh).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen=engine/ops/gen/gen_ops.py
/usr/bin/python3 $gen --table engine/ops/table --out "$tmp" --what python
/usr/bin/python3 $gen --table engine/ops/table --out "$tmp" --what docs
status=0
for pair in "$tmp/_ops_table.py clients/python/kiln/_ops_table.py" "$tmp/ops.md docs/ops.md"; do
  set -- $pair
  if ! cmp -s "$1" "$2"; then
    echo "stale: $2 (run tools/regen.sh)"
    status=1
  fi
done
[ $status -eq 0 ] && echo "generated files are current"
exit $status
