#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine, builds podsim with its tests and runs them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=ON
"$root/scripts/check_layout.sh"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$root/build" --output-on-failure -j "$jobs" --timeout 600
# Optional (README, "Robustness"): the fuzzers for PODSIM_CI_FUZZ_SECONDS each, the ASan+UBSan
# build of every test when PODSIM_CI_SANITIZE=1. Off by default: each is a second full build.
if [ -n "${PODSIM_CI_FUZZ_SECONDS:-}" ]; then PODSIM_FUZZ_JOBS=$jobs "$root/scripts/fuzz.sh" "$PODSIM_CI_FUZZ_SECONDS"; fi
if [ "${PODSIM_CI_SANITIZE:-0}" = 1 ]; then PODSIM_SANITIZE_JOBS=$jobs "$root/scripts/sanitize.sh"; fi
