#!/usr/bin/env bash
# Builds kilnd and runs the Python client's integration tests (tests/client) against it.
#   tools/pytest.sh [pytest args]      e.g. tools/pytest.sh -q -k sweep
# Env: KILN_SOAK_CLIENTS / KILN_SOAK_SECONDS (soak size), KILN_TRANSFER_GIB (round trip size).
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build //server:kilnd >&2
export KILN_KILND="$PWD/bazel-bin/server/kilnd"
export PYTHONPATH="$PWD/clients/python${PYTHONPATH:+:$PYTHONPATH}"
paths=(tests/client)
for a in "$@"; do [[ "$a" == tests/* ]] && paths=(); done
exec /usr/bin/python3 -m pytest "${paths[@]}" -p no:cacheprovider "$@"
