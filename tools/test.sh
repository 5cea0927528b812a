#!/usr/bin/env bash
# The README's second command: install, build, run every test, print "N passed, N failed".
#   tools/test.sh            everything (C++ gtests through Bazel, then the Python tests)
set -uo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

results=.out/test-results
rm -rf "$results" && mkdir -p "$results"
status=0

echo "== building and running the C++ tests (bazel test //...)"
if ! bazel test --keep_going //... ; then status=1; fi
# Bazel keeps one test.xml per test target under bazel-testlogs.
cp -rL bazel-testlogs "$results/bazel" 2>/dev/null || true

if [ -d tests/client ]; then
  echo "== running the Python tests (pytest)"
  if ! tools/pytest.sh --junitxml="$results/pytest.xml" -q; then status=1; fi
fi

echo "== summary"
/usr/bin/python3 tools/test_summary.py "$results" || status=1
exit $status
