#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine, builds podsim with its tests and runs them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=ON
"$root/scripts/check_layout.sh"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$root/build" --output-on-failure -j "$jobs" --timeout 600
# The fuzzers (README, "Robustness") for PODSIM_CI_FUZZ_SECONDS each, 15 by default (0 skips
# them): a clang build of the loaders and one minute of fuzzing, about 3 minutes on 2 cores.
# The ASan+UBSan build of every test runs when PODSIM_CI_SANITIZE=1: a second full build and the
# whole test run under the sanitizers, too long for every CI run.
fuzz_seconds=${PODSIM_CI_FUZZ_SECONDS:-15}
if [ "$fuzz_seconds" != 0 ]; then PODSIM_FUZZ_JOBS=$jobs "$root/scripts/fuzz.sh" "$fuzz_seconds"; fi
if [ "${PODSIM_CI_SANITIZE:-0}" = 1 ]; then PODSIM_SANITIZE_JOBS=$jobs "$root/scripts/sanitize.sh"; fi
