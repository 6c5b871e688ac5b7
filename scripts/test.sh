#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine, builds podsim with its tests and runs them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=ON
"$root/scripts/check_layout.sh"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$root/build" --output-on-failure -j "$jobs" --timeout 600
