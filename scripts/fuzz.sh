#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/) with clang in build-fuzz/ and runs each for SECONDS
# (default 60). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   targets: fuzz_scenario_yaml fuzz_platform_yaml fuzz_model_yaml fuzz_trace_json
#            fuzz_set_override fuzz_sweep_yaml (default: all)
# Seeds: the repository's valid files (platforms/, workloads/, scenarios/, scenarios/sweeps/,
# test/inputs/good/), the bad-input catalogue (test/inputs/bad/) and, for the `--set` overrides
# (one per line), test/fuzz/seeds/fuzz_set_override/. Each target's corpus grows in
# build-fuzz/corpus/<target>/ across runs. A crash leaves build-fuzz/artifacts/<target>/crash-*:
# turn it into a case of test/inputs/bad/ (README, "Robustness") and fix the loader.
# Environment: PODSIM_FUZZ_JOBS (build jobs, default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_scenario_yaml fuzz_platform_yaml fuzz_model_yaml fuzz_trace_json fuzz_set_override
           fuzz_sweep_yaml)
fi

# clang 14 and its sanitizer/libFuzzer runtimes (Debian 12), with the usual dependencies.
"$root/scripts/install_deps.sh" clang-14 libclang-rt-14-dev

build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DPODSIM_FUZZ=ON -DPODSIM_BUILD_TESTS=OFF > /dev/null
cmake --build "$build" -j "${PODSIM_FUZZ_JOBS:-1}" --target "${targets[@]}"

seeds() {  # the seed files of a target
  case "$1" in
    fuzz_scenario_yaml) ls "$root"/scenarios/*.yaml "$root"/test/inputs/good/*.yaml \
                           "$root"/test/inputs/bad/scenario/*.yaml ;;
    fuzz_platform_yaml) ls "$root"/platforms/*.yaml "$root"/test/inputs/bad/platform/*.yaml ;;
    fuzz_model_yaml) ls "$root"/workloads/*.yaml "$root"/test/inputs/bad/model/*.yaml ;;
    fuzz_trace_json) ls "$root"/test/inputs/good/*.json "$root"/test/inputs/bad/trace/*.json ;;
    fuzz_set_override) ls "$root"/test/fuzz/seeds/fuzz_set_override/* ;;
    fuzz_sweep_yaml) ls "$root"/scenarios/sweeps/*.yaml "$root"/test/inputs/good/*sweep*.yaml \
                        "$root"/test/inputs/bad/scenario/sweep-*.yaml ;;
  esac 2>/dev/null || true
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  artifacts="$build/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  while IFS= read -r seed; do
    [ -f "$seed" ] && cp "$seed" "$corpus/seed-$(basename "$seed")"
  done < <(seeds "$target")
  echo "== $target: ${seconds}s, corpus $(ls "$corpus" | wc -l) files"
  # -rss_limit_mb: a loader that allocates without bound is a finding, not a machine kill.
  # -timeout: one input taking more than 10 s is a finding (a hang).
  if ! "$build/test/fuzz/$target" "$corpus" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 \
      > "$build/$target.log" 2>&1; then
    echo "!! $target found a problem; see $build/$target.log and $artifacts/"
    tail -n 40 "$build/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$target.log" | tr '\n' ' '
    echo
  fi
done
exit $status
