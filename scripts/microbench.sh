#!/usr/bin/env bash
# Micro-benchmarks of trace generation, lowering and collective replay (Google Benchmark, from
# test/microbench/). Not part of scripts/test.sh. Usage: scripts/microbench.sh [benchmark args],
# e.g. scripts/microbench.sh --benchmark_filter=Replay --benchmark_repetitions=3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh" libbenchmark-dev  # Google Benchmark
build="$root/build-microbench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPODSIM_BUILD_TESTS=OFF \
  -DPODSIM_BUILD_MICROBENCH=ON > /dev/null
cmake --build "$build" -j "$(nproc)" --target podsim_microbench
"$build/podsim_microbench" "$@"
