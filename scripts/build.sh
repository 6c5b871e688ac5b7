#!/usr/bin/env bash
# Configures and builds podsim (Release) in build/. Usage: scripts/build.sh [extra cmake args]
# A new build directory uses Ninja when it is installed: its [N/M] counter counts every step,
# where the Makefile generator's percentages count each directory's targets apart and run past
# 100% ("[103%] ... [120%]") once the test targets of test/ build after the library. An existing
# build directory keeps the generator it was made with (CMake cannot switch it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
if [ ! -f "$root/build/CMakeCache.txt" ] && command -v ninja > /dev/null; then
  generator=(-G Ninja)
fi
cmake -S "$root" -B "$root/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@" > /dev/null
cmake --build "$root/build" -j "$jobs"
