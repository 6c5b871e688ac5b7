#!/usr/bin/env bash
# Installs podsim's build and test dependencies from Debian 12 packages, only those missing.
# Idempotent: when everything is present it only runs dpkg-query and exits.
# Usage: scripts/install_deps.sh [EXTRA_PACKAGE...]   (extra packages of one script, e.g. clang)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config time
  libsimgrid-dev          # SimGrid 3.32 (ships only simgrid.pc)
  libboost-graph-dev      # Boost.Graph (topology)
  libspdlog-dev libfmt-dev
  libyaml-cpp-dev
  nlohmann-json3-dev
  libcli11-dev
  catch2                  # Catch2 v2
  chromium                # headless browser: the HTML report tests (test/report/)
  python3-matplotlib      # scripts/plot_*.py
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
