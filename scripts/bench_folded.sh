#!/usr/bin/env bash
# The "Folded replay" section of BENCHMARKS.md (program/fold.hpp): wall time and peak memory
# (/usr/bin/time -v) of the folded replay beside the per-chip one, and whether both give the same
# simulated time. Usage: scripts/bench_folded.sh PODSIM   (prints the section on stdout)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
podsim=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"

rows=()
# name | result key | podsim arguments (a --json FILE is added)
measure() {
  local name=$1 key=$2; shift 2
  local status=0
  /usr/bin/time -v "$podsim" "$@" --json "$tmp/out.json" > /dev/null 2> "$tmp/time.txt" || status=$?
  local wall mem
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
  if [ "$status" != 0 ]; then
    local why
    why=$(grep -m1 -v '^\s' "$tmp/time.txt" | cut -c1-160)
    rows+=("| $name | \`podsim $*\` | $wall | $mem | refused: ${why//|/\\|} | | |")
  else
    rows+=("$(python3 - "$tmp/out.json" "$key" "$name" "$wall" "$mem" "podsim $*" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
key, name, wall, mem, cmd = sys.argv[2:7]
print(f"| {name} | `{cmd}` | {wall} | {mem} | {d[key]!r} | {d.get('replay', '')} | {d['transfers']} |")
PY
)")
  fi
  echo "$name: $wall, $mem MiB" >&2
}

a2a=(collective --shape 16x16x16 --op all-to-all --axes xyz --bytes 64MiB)
measure "all-to-all xyz 16x16x16 64 MiB" simulated_s "${a2a[@]}"
measure "the same, per chip" simulated_s "${a2a[@]}" --replay per-chip
a2a8=(collective --shape 8x8x8 --op all-to-all --axes xyz --bytes 64MiB)
measure "all-to-all xyz 8x8x8 64 MiB" simulated_s "${a2a8[@]}"
measure "the same, per chip" simulated_s "${a2a8[@]}" --replay per-chip
palm=(run scenarios/t2-high-throughput-decode.yaml --set batch=4096 --set topology=16x16x16
      --set generate_tokens=1 --set attention=batch --exact)
measure "PaLM 540B decode step, batch 4096, ws-2d, batch-sharded, 16x16x16, every layer" \
  decode_step_s "${palm[@]}"
measure "PaLM 540B prefill, batch 512, wg-xyz, 8x8x8, every layer" total_s \
  run scenarios/t2-high-throughput-prefill.yaml --set topology=8x8x8 --set ffn_layout=wg-xyz --exact
mtnlg=(run scenarios/t2-high-throughput-decode.yaml --set model=mt-nlg-530b --set batch=4096
       --set topology=16x16x16 --set generate_tokens=1 --set attention=batch --exact)
measure "MT-NLG 530B decode step 16x16x16, every layer" decode_step_s "${mtnlg[@]}"
# Scaling: one collective and one decode step (fast path) from 64 to 4096 chips.
for shape in 4x4x4 8x8x8 16x16x16; do
  measure "scaling: all-gather xyz 1 GiB, $shape" simulated_s \
    collective --shape "$shape" --op all-gather --axes xyz --bytes 1GiB
  measure "scaling: PaLM 540B decode step, batch 4096, ws-2d, $shape" decode_step_s \
    run scenarios/t2-high-throughput-decode.yaml --set batch=4096 --set topology="$shape" \
    --set generate_tokens=1 --set attention=batch --allow-oversubscribe
done
for s in t2-low-latency-prefill t2-low-latency-decode t2-high-throughput-prefill \
         t2-high-throughput-decode; do
  measure "$s" total_s run "scenarios/$s.yaml"
  measure "$s, collective_einsum off" total_s run "scenarios/$s.yaml" --set collective_einsum=off
  measure "$s, collective_einsum off, per chip" total_s run "scenarios/$s.yaml" \
    --set collective_einsum=off --replay per-chip
done

# Partial symmetry: a slice with a mesh axis folds along the wrapped ones (one representative per
# coordinate of the mesh axis).
part=(collective --shape 16x16x4 --wrap xy --op all-gather --axes xyz --bytes 64MiB)
measure "all-gather xyz 16x16x4 wrapped along xy (4 representatives)" simulated_s "${part[@]}"
measure "the same, per chip" simulated_s "${part[@]}" --replay per-chip

# podsim calibrate on the shipped calibration set: one evaluation of every case (--no-fit),
# folded and per chip, and the whole fit with leave-one-out, folded (per chip it would take the
# evaluation's ratio longer).
cal=(scenarios/calibration/network-ici.yaml scenarios/calibration/paper-table2.yaml
     scenarios/calibration/paper-table3.yaml)
cal_time() {
  /usr/bin/time -f "%e s, %M KB" "$podsim" calibrate "${cal[@]}" "$@" > /dev/null 2> "$tmp/cal.txt"
  tail -1 "$tmp/cal.txt"
}
cal_nofit=$(cal_time --no-fit)
cal_nofit_per_chip=$(cal_time --no-fit --replay per-chip)
cal_fit=$(cal_time -o "$tmp/fitted.yaml")
echo "calibrate: no-fit $cal_nofit, per chip $cal_nofit_per_chip, fit $cal_fit" >&2

# The paper's Figure 6 sweep extended to the full pod: 14 points, one process each, -j 2.
sweep_wall=$( { /usr/bin/time -f "%e" "$podsim" sweep scenarios/sweeps/decode-1d-vs-2d-pod.yaml \
  -o "$tmp/pod.csv" -j 2 > /dev/null 2> "$tmp/sweep.txt"; } 2>&1; tail -1 "$tmp/sweep.txt")
echo "Figure 6 sweep to 4096 chips: $sweep_wall s" >&2

echo "## Folded replay"
echo
echo "From scripts/bench_folded.sh. On a slice whose axes all wrap and whose program is the same on"
echo "every chip up to translation, one representative chip on a folded platform gives the per-chip"
echo "replay's answer; where an axis does not wrap, or the program is invariant along some axes only,"
echo "the fold keeps one representative per coordinate of the other axes (sim/README.md §7;"
echo "test/replay/folded_replay_test.cpp proves both against the per-chip replay). The default replay"
echo "(auto) folds wherever one axis at least folds. Looped CollectiveEinsum loops go round rings"
echo "whose every step is one hop (ring_order: hamiltonian), which keep the fold exact, and the fold"
echo "memoises repeated collectives and loops (program/trace_program.hpp, OpMemo), so the Table 2"
echo "scenarios and full-pod steps fold. The folded replay collects completions from SimGrid's"
echo "network-action signal, not wait_any (platforms/README.md §6; the 16x16x16 all-to-all took"
echo "1.19 s with wait_any). \"simulated\" is the result key named in the script (simulated_s,"
echo "decode_step_s or total_s), printed in full to show the replays agree; transfers counts the"
echo "messages of every chip the result stands for."
echo
echo "| case | command | wall (h:mm:ss) | peak memory (MiB) | simulated (s) | replay | transfers |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "\`podsim calibrate\` on scenarios/calibration/ (network-ici, paper-table2, paper-table3), wall"
echo "time and peak RSS:"
echo
echo "| run | folded (default) | per chip (before the fold) |"
echo "|---|---|---|"
echo "| every case once (\`--no-fit\`) | $cal_nofit | $cal_nofit_per_chip |"
echo "| the whole fit with leave-one-out | $cal_fit | not run (about the no-fit ratio longer) |"
echo
echo "The paper's Figure 6 sweep extended to 64, 128, 256, 512, 1024, 2048 and 4096 chips"
echo "(\`podsim sweep scenarios/sweeps/decode-1d-vs-2d-pod.yaml -j 2\`, ws-1d and ws-2d, batch 4096):"
echo "$sweep_wall s of wall time for the 14 points."
echo
