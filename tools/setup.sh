#!/usr/bin/env bash
# Installs every Debian package Kiln uses. Idempotent: installs only what is missing.
set -euo pipefail

PACKAGES=(
  # build
  bazel-bootstrap g++ git python3-yaml protobuf-compiler
  # C++ libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev libabsl-dev libopenblas-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev libgloo-dev libdnnl-dev nlohmann-json3-dev
  libssl-dev
  # Python client, tests and the PyTorch oracle (all for /usr/bin/python3)
  python3 python3-grpcio python3-protobuf python3-numpy python3-pytest python3-torch
  # tests and tools
  curl procps openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
