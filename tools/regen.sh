#!/usr/bin/env bash
# Refreshes the generated files that are committed (a test fails when they are stale):
#   clients/python/kiln/_ops_table.py   the op table as the Python client sees it
#   docs/ops.md                         the op list
#   tests/ops/reference.json            PyTorch's results for every op sample
#   tests/optim/trajectories.json       torch.optim's trajectories, clipping results, errors
set -euo pipefail
cd "$(dirname "$0")/.."
gen=engine/ops/gen/gen_ops.py
/usr/bin/python3 $gen --table engine/ops/table --out clients/python/kiln --what python
/usr/bin/python3 $gen --table engine/ops/table --out docs --what docs
/usr/bin/python3 tests/ops/gen_reference.py "$@"
/usr/bin/python3 tests/optim/gen_trajectories.py
