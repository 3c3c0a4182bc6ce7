#!/usr/bin/env bash
# Installs the Debian packages Scaleout Studio needs, only those missing.
# Idempotent and non-interactive: safe to run before every build.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  qt6-base-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libeigen3-dev libopenblas-dev nlohmann-json3-dev zlib1g-dev
  cppzmq-dev libzmq3-dev libsodium-dev libzookeeper-mt-dev zookeeper
  clang libclang-rt-14-dev
  iproute2 util-linux bc time
  dataset-fashion-mnist xvfb
  desktop-file-utils appstream lintian
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
