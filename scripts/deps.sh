#!/usr/bin/env bash
# Installs the Debian packages rcnn.cpp needs when they are missing (uses sudo when not root).
#   scripts/deps.sh              what the build, the tests and the demo need
#   scripts/deps.sh --reference  also PyTorch, for tests/reference/make_reference.py and benchmarks
#   scripts/deps.sh --browser    also Debian's chromium and npm's playwright-core (tests/browser/), for
#                                the browser test of `rcnn serve`'s page (CI runs it; elsewhere it skips)
#   scripts/deps.sh --onnxruntime  also npm's onnxruntime-node (tests/onnx/), for the test that runs
#                                `rcnn export`'s models in onnxruntime (CI runs it; elsewhere it skips)
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(g++ make pkg-config doctest-dev libstb-dev libopenblas-dev libopenblas-openmp-dev libdnnl-dev libpugixml-dev libyaml-cpp-dev nlohmann-json3-dev
          zlib1g-dev libcli11-dev libopenmpi-dev openmpi-bin libboost-dev libonnx-dev libprotobuf-dev libgmime-3.0-dev liburiparser-dev libcpp-httplib-dev dataset-fashion-mnist)
[[ "${1:-}" == "--reference" ]] && packages+=(python3-numpy python3-torch python3-torchvision)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (an unattended upgrade) may hold the lock: wait for it up to 5 minutes instead of failing.
  lock=(-o DPkg::Lock::Timeout=300)
  echo "deps: (if another apt is running, this waits for it, up to 5 minutes)"
  $sudo apt-get "${lock[@]}" update -qq
  $sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The browser test's chromium and playwright-core (which drives the system's chromium and downloads no
# browser). Optional: where either cannot be installed, the test says skipped and nothing fails.
if [[ "${1:-}" == "--browser" ]] && ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "deps: installing chromium (for the browser test)"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  { $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >/dev/null; } ||
    echo "deps: chromium could not be installed: the browser test will say skipped"
fi
# An npm package a test needs, into that test's folder (its package.json pins the version). Optional:
# without npm or a registry, the test says skipped. npm_install FOLDER PACKAGE WHAT
npm_install() {
  if command -v npm > /dev/null; then
    echo "deps: npm install ($1: $2)"
    npm install --prefix "$1" --no-audit --no-fund --silent || echo "deps: npm install failed (no registry?): $3 will say skipped"
  else
    echo "deps: npm is not installed: $3 will say skipped"
  fi
}
if [[ "${1:-}" == "--browser" && ! -d tests/browser/node_modules/playwright-core ]]; then
  npm_install tests/browser playwright-core "the browser test"
fi
# onnxruntime-node's own install script would download CUDA libraries: skipped, the CPU library is in
# the package.
if [[ "${1:-}" == "--onnxruntime" && ! -d tests/onnx/node_modules/onnxruntime-node ]]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm_install tests/onnx onnxruntime-node "the onnxruntime test of rcnn export"
fi
