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

# Table 2 of the paper (scenarios/t2-*.yaml): simulated latency and MFU beside the paper's values
# (scenarios/calibration/paper-table2.yaml), with the simulation's wall time and peak memory.
t2_rows=()
t2() {  # scenario id, paper latency (s), paper MFU
  local id=$1 paper_s=$2 paper_mfu=$3
  /usr/bin/time -v "$podsim" run "$root/scenarios/$id.yaml" --json "$tmp/run.json" 2> "$tmp/time.txt" > /dev/null
  local wall mem
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
  t2_rows+=("$(python3 - "$tmp/run.json" "$id" "$paper_s" "$paper_mfu" "$wall" "$mem" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ident, paper_s, paper_mfu, wall, mem = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
sim = d["total_s"]
print(f"| {ident} | {paper_s:.3g} | {sim:.3g} | {100*(sim/paper_s-1):+.0f}% | {paper_mfu:.2f} | {d['mfu']:.2f} | {wall} | {mem} |")
PY
)")
  echo "$id: $wall"
}
t2 t2-low-latency-prefill 0.29 0.43
t2 t2-low-latency-decode 1.82 0.14
t2 t2-high-throughput-prefill 85.2 0.76
t2 t2-high-throughput-decode 6.0 0.33

# Pod scale (issue 7): one simulation process each; transfers per second of wall time.
scale_rows=()
scale() {  # name, target, then podsim run arguments
  local name=$1 target=$2; shift 2
  if ! /usr/bin/time -v "$podsim" run "$@" --json "$tmp/scale.json" 2> "$tmp/time.txt" > /dev/null; then
    local why
    why=$(grep -v '^\s' "$tmp/time.txt" | grep -v '^Command ' | tail -1 | sed "s|$root/||g")
    scale_rows+=("| $name | \`podsim run ${*//$root\//}\` | refused: ${why#*: } | | | | | $target |")
    echo "$name: failed"; return
  fi
  local wall mem
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
  scale_rows+=("$(python3 - "$tmp/scale.json" "$name" "$wall" "$mem" "$target" "podsim run ${*//$root\//}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
name, wall, mem, target, cmd = sys.argv[2:7]
parts = [float(x) for x in wall.split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
t = d["transfers"]
print(f"| {name} | `{cmd}` | {wall} | {mem} | {d['total_s']:.4g} | {t} | {t/secs:,.0f} | {target} |")
PY
)")
  echo "$name: wall $wall, peak $mem MiB"
}
scale "PaLM 540B Table 2 low-latency decode, 64 steps, 64 chips (fast path)" "<= 2 s" \
  "$root/scenarios/t2-low-latency-decode.yaml"
scale "PaLM 540B decode step, batch 64, ws-2d, batch-sharded, 4x4x4, --exact" "scaling" \
  "$root/scenarios/t2-high-throughput-decode.yaml" --set batch=64 --set generate_tokens=1 \
  --set attention=batch --exact
if [ $quick -eq 0 ]; then
  scale "PaLM 540B decode step, batch 512, ws-2d, batch-sharded, 8x8x8 (fast path)" "scaling" \
    "$root/scenarios/t2-high-throughput-decode.yaml" --set batch=512 --set topology=8x8x8 \
    --set generate_tokens=1 --set attention=batch
  scale "MT-NLG 530B decode step, batch 4096, ws-2d, batch-sharded, 16x16x16, --exact" "<= 60 s, <= 4 GiB" \
    "$root/scenarios/t2-high-throughput-decode.yaml" --set model=mt-nlg-530b --set batch=4096 \
    --set topology=16x16x16 --set generate_tokens=1 --set attention=batch --exact
  scale "PaLM 540B prefill, batch 512, wg-xyz, 8x8x8, --exact" "<= 60 s" \
    "$root/scenarios/t2-high-throughput-prefill.yaml" --set topology=8x8x8 --set ffn_layout=wg-xyz --exact
fi
# Collective scaling 64 -> 512 -> 4096 chips: the same all-gather, transfers per wall second.
coll_rows=()
coll() {  # shape
  /usr/bin/time -v "$podsim" collective --shape "$1" --op all-gather --axes xyz --bytes 1GiB \
    --json "$tmp/coll.json" 2> "$tmp/time.txt" > /dev/null
  local wall mem
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
  mem=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
  coll_rows+=("$(python3 - "$tmp/coll.json" "$1" "$wall" "$mem" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
shape, wall, mem = sys.argv[2:5]
parts = [float(x) for x in wall.split(":")]
secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
chips = eval(shape.replace("x", "*"))
t = d["transfers"]
print(f"| {shape} | {chips} | {wall} | {mem} | {t} | {t/secs:,.0f} | {secs/t*1e6:.1f} |")
PY
)")
  echo "all-gather $1: $wall"
}
coll 4x4x4
coll 8x8x8
if [ $quick -eq 0 ]; then coll 16x16x16; fi

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
  echo
  echo "## Paper Table 2 (PaLM 540B, 64 chips): simulated beside published"
  echo
  echo "Latency = prefill latency, or the 64 decode steps after the prefill. The paper's values are"
  echo "measurements on TPU v4 (arXiv 2211.05102, Table 2); podsim uses the chip model of"
  echo "platforms/tpu-v4.yaml as committed (VALIDATION.md: calibration and predictions)."
  echo "Wall time and peak memory are those of the whole \`podsim run\` (fast path)."
  echo
  echo "| scenario | paper latency (s) | podsim (s) | error | paper MFU | podsim MFU | wall (h:mm:ss) | peak memory (MiB) |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${t2_rows[@]}"
  echo
  echo "## Pod scale"
  echo
  echo "One \`podsim run\` process per case. Transfers = point-to-point ICI messages simulated;"
  echo "the last column is the target of issue 7. PaLM 540B cannot be split over 4096 chips by the"
  echo "paper's layouts (d_model 18432 = 2^11 x 9 does not divide over 4096 chips for the residual"
  echo "stream and the embedding), so the pod-scale decode step uses MT-NLG 530B (d_model 20480),"
  echo "the other 500B-class model of the paper; the 64 -> 512 -> 4096 rows show how wall time grows"
  echo "with the transfers."
  echo
  echo "| case | command | wall (h:mm:ss) | peak memory (MiB) | simulated (s) | transfers | transfers per wall second | target |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${scale_rows[@]}"
  echo
  echo "Scaling of one collective (all-gather of 1 GiB over xyz) from 64 to 4096 chips: wall time per"
  echo "simulated transfer stays within a small factor, so wall time grows with the transfers."
  echo
  echo "| shape | chips | wall (h:mm:ss) | peak memory (MiB) | transfers | transfers per wall second | wall us per transfer |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${coll_rows[@]}"
  echo
  echo "### Where the time goes"
  echo
  echo "Profiles with \`perf record -g\` (scripts: none; commands as in the rows above):"
  echo
  echo "- Exact decode step on 4x4x4 (MT-NLG 530B, 1.78 M transfers, 33 s): SimGrid's own work (activity"
  echo "  creation and completion, the max-min solver, context switches, mailbox matching, malloc/free"
  echo "  of its activities) is about 80% of the samples, podsim's actor loop (ChipRunner::finish,"
  echo "  running, operator(), start) about 20%. Per-op allocations, string formatting and logging are"
  echo "  not on the hot path: mailboxes and routes are resolved before the simulation starts."
  echo "- Decode step on 8x8x8 (the 8x8x8 decode row): 88% of the samples are one loop"
  echo "  inside libsimgrid 3.32, a \`std::list::remove\` (no symbols in the Debian build; it sits in"
  echo "  the CommImpl code). Its cost grows with the activities alive at once: the batch-sharded"
  echo "  attention's all-to-all over 512 chips keeps about a thousand sends and receives per chip in"
  echo "  flight. The lone 8x8x8 all-to-all row of the first table (several times fewer"
  echo "  transfers per second than the all-gathers) shows the same. Wall time therefore grows faster than the"
  echo "  transfers for all-to-all-heavy steps; ring collectives stay within 2x per transfer up to"
  echo "  4096 chips (last table). Tried and reverted: capping the sends in flight per chip at 16 (a DMA"
  echo "  queue depth) made the 4x4x4 all-to-all 1.48x its closed form (0.998 uncapped), and a cap of 64 with"
  echo "  pairwise-exchange order ran far slower on 8x8x4; the cause is not found yet."
  echo "- The full-pod targets are out of reach of a per-message simulation on this machine: the exact"
  echo "  full-pod decode step is about 1e10 tasks (Looped CollectiveEinsum rings of 256 chips in each of"
  echo "  105 layers), the 8x8x8 weight-gathered prefill 7.5e8 tasks (rings of 512 chips). At 18 us per"
  echo "  transfer or more they would take hours and far more than 24 GiB, so podsim refuses them up"
  echo "  front with the memory they would need (rows above)."
} > "$out"
# Sweep wall times with -j 1 and -j 2 (issue 6): a section of its own, from scripts/bench_sweep.sh.
if [ $quick -eq 0 ]; then "$root/scripts/bench_sweep.sh" "$podsim" >> "$out"; fi
# Timeline capture cost and output sizes (issue 5): a section of its own, from
# scripts/bench_timeline.sh.
if [ $quick -eq 0 ]; then "$root/scripts/bench_timeline.sh" "$podsim" >> "$out"; fi
# The wall time of each figure of scripts/figures.sh (issue 15): a section of its own, from
# scripts/bench_figures.sh.
if [ $quick -eq 0 ]; then "$root/scripts/bench_figures.sh" "$podsim" >> "$out"; fi
# The folded replay beside the per-chip one (issue 12): a section of its own, from
# scripts/bench_folded.sh.
"$root/scripts/bench_folded.sh" "$podsim" >> "$out"
echo "wrote $out"
