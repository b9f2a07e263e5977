#!/usr/bin/env bash
# Installs the Debian packages rcnn.cpp needs when they are missing (uses sudo when not root).
#   scripts/deps.sh              what the build, the tests and the demo need
#   scripts/deps.sh --reference  also PyTorch, for tests/reference/make_reference.py and benchmarks
set -euo pipefail
packages=(g++ make doctest-dev libstb-dev libopenblas-dev libopenblas-openmp-dev libdnnl-dev libpugixml-dev libyaml-cpp-dev nlohmann-json3-dev
          zlib1g-dev libcli11-dev libopenmpi-dev openmpi-bin dataset-fashion-mnist)
[[ "${1:-}" == "--reference" ]] && packages+=(python3-numpy python3-torch python3-torchvision)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
