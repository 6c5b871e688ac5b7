#!/usr/bin/env bash
# Measures podsim's wall time and peak memory (/usr/bin/time -v) on the benchmark cases and writes
# BENCHMARKS.md. Never edit BENCHMARKS.md by hand: run this script.
# Usage: scripts/bench.sh [--quick]   (--quick skips the cases that take more than a few seconds)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=OFF
podsim="$root/build/podsim"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
out="$root/BENCHMARKS.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rows=()
bench() {  # name, then podsim arguments
  local name=$1; shift
  /usr/bin/time -v "$podsim" "$@" --json "$tmp/out.json" 2> "$tmp/time.txt" > /dev/null
  local wall mem simulated transfers
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
  simulated=$(python3 -c "import json;d=json.load(open('$tmp/out.json'));print('%.6g'%d['simulated_s'])")
  transfers=$(python3 -c "import json;d=json.load(open('$tmp/out.json'));print(d['transfers'])")
  rows+=("| $name | \`podsim $*\` | $wall | $mem | $simulated | $transfers |")
  echo "$name: wall $wall, peak $mem MiB, simulated $simulated s, $transfers transfers"
}

bench "all-gather x, 4x4x4, 64 MiB" collective --shape 4x4x4 --op all-gather --axes x --bytes 64MiB
bench "all-to-all xyz, 8x8x8, 64 MiB" collective --shape 8x8x8 --op all-to-all --axes xyz --bytes 64MiB
if [ $quick -eq 0 ]; then
  bench "all-gather xyz, 16x16x16, 1 GiB" collective --shape 16x16x16 --op all-gather --axes xyz --bytes 1GiB
fi

{
  echo "# podsim benchmarks"
  echo
  echo "Written by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d) — do not edit by hand."
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m); one simulation process per case."
  echo "Wall time and peak resident memory from \`/usr/bin/time -v\`."
  echo
  echo "| case | command | wall (h:mm:ss) | peak memory (MiB) | simulated time (s) | transfers |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Goal (issue 2): the 16x16x16 all-gather in under 10 s and 1 GiB on one core."
} > "$out"
echo "wrote $out"
