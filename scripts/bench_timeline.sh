#!/usr/bin/env bash
# Timeline outputs (issue 5): size of the Perfetto file and of the HTML report, and the extra wall
# time of capturing the timeline, for the Table 2 low-latency decode scenario and a 16x16x16
# all-gather. Prints a Markdown section on stdout (scripts/bench.sh appends it to BENCHMARKS.md).
# Usage: scripts/bench_timeline.sh [PODSIM_BINARY]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
podsim=${1:-$root/build/podsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wall() {  # seconds of wall time of a command (its output discarded)
  /usr/bin/time -f "%e" -o "$tmp/t" "$@" > /dev/null 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  cat "$tmp/t"
}
size() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

rows=()
case_row() {  # name, then podsim arguments
  local name=$1; shift
  local plain with
  plain=$(wall "$podsim" "$@")
  with=$(wall "$podsim" "$@" --perfetto "$tmp/trace.json" --html "$tmp/report.html")
  local events captured
  events=$(python3 -c "import json;d=json.load(open('$tmp/trace.json'));print(len(d['traceEvents']))")
  captured=$(python3 -c "import json;d=json.load(open('$tmp/trace.json'));print(d['otherData']['captured'])")
  local shown="$*"
  shown=${shown//$root\//}
  rows+=("| $name | \`podsim $shown\` | $plain | $with | $(awk -v a="$plain" -v b="$with" 'BEGIN { printf "%+.2f", b - a }') | $(size "$tmp/trace.json") ($events events) | $(size "$tmp/report.html") | $captured |")
  echo "timeline $name: $plain s -> $with s with capture" >&2
}

case_row "Table 2 low-latency decode" run "$root/scenarios/t2-low-latency-decode.yaml"
case_row "all-gather x, 16x16x16, 1 GiB" collective --shape 16x16x16 --op all-gather --axes x --bytes 1GiB

echo
echo "## Timeline capture (issue 5): Perfetto and HTML outputs"
echo
echo "Wall time without and with \`--perfetto FILE --html FILE\` (capture, both files written), from"
echo "\`scripts/bench_timeline.sh\`. \`podsim run\` captures in-process the steps named in the last"
echo "column, after the fast path's own simulation, so its extra time includes that capture run."
echo
echo "| case | command | wall (s) | wall with capture (s) | extra (s) | Perfetto JSON | HTML report | captured |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
