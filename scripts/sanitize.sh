#!/usr/bin/env bash
# Builds podsim and all its tests with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
# (CMake option PODSIM_SANITIZE) and runs ctest there. Any sanitizer report fails its test.
# Usage: scripts/sanitize.sh [ctest args...]   e.g. scripts/sanitize.sh -R 'config|robustness'
# Environment: PODSIM_SANITIZE_JOBS (build and ctest jobs, default 1).
#
# What SimGrid needs under ASan (README, "Robustness"): SimGrid 3.32 from Debian is not built with
# ASan, so ASan cannot follow its actor context switches (raw/ucontext stacks). Under
# PODSIM_SANITIZE the replay selects `contexts/factory:thread` (one system thread per actor), and
# detect_stack_use_after_return stays off (its fake stacks do not survive context switches).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${PODSIM_SANITIZE_JOBS:-1}
"$root/scripts/install_deps.sh"
build="$root/build-asan"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPODSIM_SANITIZE=ON \
  -DPODSIM_BUILD_TESTS=ON > /dev/null
cmake --build "$build" -j "$jobs"
# detect_leaks=0: SimGrid keeps global state that it never frees (one Engine per process).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_stack_use_after_return=0:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 "$@"
