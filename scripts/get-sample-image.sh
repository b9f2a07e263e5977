#!/usr/bin/env bash
# Fetches the sample photograph chapter 03 convolves: "chelsea" (a cat, public domain) from Debian's
# python3-skimage package, unpacked into data/ without installing the package or its dependencies.
set -euo pipefail
out=${1:-data/chelsea.png}
[[ -f "$out" ]] && exit 0
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1) || {
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && (cd "$tmp" && apt-get download python3-skimage >/dev/null)
}
dpkg-deb --fsys-tarfile "$tmp"/python3-skimage_*.deb |
  tar -x -C "$tmp" --wildcards '*/skimage/data/chelsea.png'
cp "$(find "$tmp" -name chelsea.png | head -1)" "$out"
echo "get-sample-image: wrote $out"
