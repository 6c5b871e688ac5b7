#!/usr/bin/env bash
# Builds podsim and all its tests with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
# (CMake option PODSIM_SANITIZE) and runs ctest there. Any sanitizer report fails its test.
# Usage: scripts/sanitize.sh [ctest args...]   e.g. scripts/sanitize.sh -R 'config|robustness'
# Environment: PODSIM_SANITIZE_JOBS (build and ctest jobs, default 1).
#
# What SimGrid needs under ASan (README, "Robustness"): Debian's SimGrid 3.32 is not built with
# ASan, so ASan cannot follow the actors' swapped contexts: it printed "ASan is ignoring requested
# __asan_handle_no_return ... False positive error reports may follow", then a false
# stack-use-after-scope when a deadlocked actor was unwound (the whole-suite run of 2026-12-01).
# A PODSIM_SANITIZE build therefore runs every actor on a system thread of its own
# (`--cfg=contexts/factory:thread`, sim/replay/replay.cpp make_engine), which ASan follows.
# detect_stack_use_after_return stays off.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${PODSIM_SANITIZE_JOBS:-1}
"$root/scripts/install_deps.sh"
build="$root/build-asan"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPODSIM_SANITIZE=ON \
  -DPODSIM_BUILD_TESTS=ON > /dev/null
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 "$@"
