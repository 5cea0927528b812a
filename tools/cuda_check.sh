#!/usr/bin/env bash
# The CUDA backend's checks, for a machine with a GPU (one command):
#   tools/cuda_check.sh
# 1. builds kilnd and the CUDA tests (sm_80 + sm_90), 2. runs every test in tests/cuda
# (allocator, transfers, devices, the CUDA-vs-PyTorch op sweep and gradients), 3. runs the
# sweep again under compute-sanitizer memcheck. Without a GPU the tests report "skipped: no
# GPU" and this script says so and fails, so a CPU box cannot pass for a GPU check.
set -euo pipefail
cd "$(dirname "$0")/.."
BAZEL_FLAGS=(${KILN_BAZEL_FLAGS:-})
if [[ -d /work/.bazel-disk-cache ]]; then BAZEL_FLAGS+=(--disk_cache=/work/.bazel-disk-cache); fi

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
bazel build "${BAZEL_FLAGS[@]}" //server:kilnd //tests/cuda:all

status=0
for t in allocator_test op_sweep_cuda_test; do
  echo "=== $t"
  out=$(./bazel-bin/tests/cuda/$t 2>&1) || status=1
  echo "$out" | tail -40
  if echo "$out" | grep -q "skipped: no GPU"; then
    echo "cuda_check: no GPU visible: nothing was verified" >&2
    exit 2
  fi
done

SAN=${CUDA_PATH:-/usr/local/cuda}/bin/compute-sanitizer
echo "=== compute-sanitizer memcheck on the op sweep"
# Leak checking stays off: the caching allocator holds memory until exit by design.
"$SAN" --tool memcheck --error-exitcode 99 --print-limit 20 \
  ./bazel-bin/tests/cuda/op_sweep_cuda_test --gtest_brief=1 || status=1

echo "=== kilnd starts and serves /metrics with cuda stats"
./bazel-bin/server/kilnd --listen=127.0.0.1:17933 >/tmp/kilnd_cuda_check.log 2>&1 &
pid=$!
sleep 3
port=$(grep -o 'metrics on http://[0-9.:]*' /tmp/kilnd_cuda_check.log | grep -o '[0-9]*$' || true)
if [[ -n "$port" ]]; then
  curl -s "http://127.0.0.1:$port/metrics" | grep 'device="cuda' | head -8 || status=1
fi
kill "$pid"
exit $status
