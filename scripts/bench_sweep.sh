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
  local name=$1 file=$root/scenarios/sweeps/$2 same counts user sys
  local -a wall cpu load
  rm -f "$tmp"/j*.csv  # a fresh sweep, not a resumed one
  for j in 1 2; do
    load[$j]=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S" -o "$tmp/time$j" \
      "$podsim" sweep "$file" -o "$tmp/j$j.csv" -j $j > /dev/null 2> "$tmp/j$j.log" ||
      { echo "podsim sweep $file failed:" >&2; tail -3 "$tmp/j$j.log" >&2; exit 1; }
    read -r wall[$j] user sys < "$tmp/time$j"
    cpu[$j]=$(python3 -c "print(round($user + $sys, 1))")
    echo "$name -j $j: ${wall[$j]} s wall, ${cpu[$j]} s CPU, load ${load[$j]} before" >&2
  done
  cmp -s "$tmp/j1.csv" "$tmp/j2.csv" && same=identical || same=DIFFERENT
  counts=$(python3 - "$tmp/j1.csv" <<'PY'
import csv, sys, collections
c = collections.Counter(r["status"] for r in csv.DictReader(open(sys.argv[1])))
print(", ".join(f"{n} {s}" for s, n in sorted(c.items())))
PY
)
  rows+=("$(printf '| %s | `podsim sweep scenarios/sweeps/%s` | %s | %.1f | %.1f | %.2f | %s | %s / %s | %s / %s |' \
    "$name" "$2" "$counts" "${wall[1]}" "${wall[2]}" "$(python3 -c "print(${wall[1]} / ${wall[2]})")" \
    "$same" "${cpu[1]}" "${cpu[2]}" "${load[1]}" "${load[2]}")")
}

# Two sweeps of a minute or two each: the larger ones (decode-1d-vs-2d.yaml with 64-step decodes
# on up to 256 chips, pareto-palm-540b.yaml whose 144 points each rank layouts by simulation)
# take an hour here.
sweep "prefill 2D weight-stationary vs weight-gathered, PaLM 540B, 64 chips" prefill-ws-vs-wg.yaml
sweep "decode step vs context and attention, 8-layer PaLM 540B" decode-context-attention.yaml

echo
echo "## Sweeps (issue 6): wall time with -j 1 and -j 2"
echo
echo "Each point is simulated in its own \`podsim run\` process (points that are invalid or do not"
echo "fit are answered without a simulation); wall time of the whole \`podsim sweep\`, in seconds."
echo "CPU = user + system time of the sweep and all its simulation processes. The machine has"
echo "$(nproc) cores: -j 2 can only gain the idle share of the second core, so read the speed-up"
echo "with the load average measured before each run (last column); on a loaded machine it falls"
echo "below 1 (two processes then share what one had)."
echo
echo "| sweep | command | points | -j 1 wall (s) | -j 2 wall (s) | speed-up | -j 1 and -j 2 CSVs | CPU -j 1 / -j 2 (s) | load before -j 1 / -j 2 |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
