#!/usr/bin/env bash
# Refreshes the generated files that are committed (a test fails when they are stale):
#   clients/python/kiln/_ops_table.py   the op table as the Python client sees it
#   docs/ops.md                         the op list
# (PyTorch's reference results, tests/ops/reference.json and tests/optim/trajectories.json,
# are made at build time by Bazel genrules and never committed.)
set -euo pipefail
cd "$(dirname "$0")/.."
gen=engine/ops/gen/gen_ops.py
/usr/bin/python3 $gen --table engine/ops/table --out clients/python/kiln --what python
/usr/bin/python3 $gen --table engine/ops/table --out docs --what docs
