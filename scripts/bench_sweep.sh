#!/usr/bin/env bash
# Wall time of two sweeps (issue 6) with -j 1 and -j 2 and the speed-up: the 1D-vs-2D decode
# sweep and the PaLM 540B latency/cost frontier sweep (scenarios/sweeps/). Prints a Markdown
# section on stdout (scripts/bench.sh appends it to BENCHMARKS.md), progress on stderr.
# Usage: scripts/bench_sweep.sh [PODSIM]   (default build/podsim, which must exist)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
podsim=${1:-$root/build/podsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rows=()
sweep() {  # name, sweep file (relative to scenarios/sweeps)
  local name=$1 file=$root/scenarios/sweeps/$2 j1 j2 t0 t1 same counts
  for j in 1 2; do
    t0=$(date +%s.%N)
    "$podsim" sweep "$file" -o "$tmp/j$j.csv" -j $j > /dev/null 2> "$tmp/j$j.log"
    t1=$(date +%s.%N)
    eval "j$j=\$(python3 -c \"print(\$t1 - \$t0)\")"
    echo "$name -j $j: $(eval echo \$j$j) s" >&2
  done
  cmp -s "$tmp/j1.csv" "$tmp/j2.csv" && same=identical || same=DIFFERENT
  counts=$(python3 - "$tmp/j1.csv" <<'PY'
import csv, sys, collections
c = collections.Counter(r["status"] for r in csv.DictReader(open(sys.argv[1])))
print(", ".join(f"{n} {s}" for s, n in sorted(c.items())))
PY
)
  rows+=("$(printf '| %s | `podsim sweep scenarios/sweeps/%s` | %s | %.1f | %.1f | %.2f | %s |' \
    "$name" "$2" "$counts" "$j1" "$j2" "$(python3 -c "print($j1 / $j2)")" "$same")")
}

sweep "1D vs 2D weight-stationary decode, PaLM 540B, batch 512" decode-1d-vs-2d.yaml
sweep "latency/cost frontier, PaLM 540B" pareto-palm-540b.yaml

echo
echo "## Sweeps (issue 6): wall time with -j 1 and -j 2"
echo
echo "Each point is simulated in its own \`podsim run\` process (points that are invalid or do not"
echo "fit are answered without a simulation); wall time of the whole \`podsim sweep\`, in seconds."
echo "The machine's $(nproc) cores may be shared with other work, which lowers the speed-up."
echo
echo "| sweep | command | points | -j 1 (s) | -j 2 (s) | speed-up | -j 1 and -j 2 CSVs |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
