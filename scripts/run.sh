#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine, builds podsim and runs the main job.
# Usage: scripts/run.sh [podsim arguments]   (default: the layout study below)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=OFF
cd "$root"
podsim="$root/build/podsim"
if [ $# -gt 0 ]; then
  exec "$podsim" "$@"
fi

# The main job: a small layout study, what podsim is for. PaLM 540B on 64 TPU v4 chips (4x4x4),
# the paper's layouts side by side (Pope et al., arXiv 2211.05102, §3.2 and Table 2):
#  - decode, 64 sequences with a context of 2048: 1D vs 2D weight-stationary feed-forward, and
#    multiquery attention sharded over heads vs over the batch;
#  - prefill of 64 sequences of 2048 tokens (131k tokens per batch): 2D weight-stationary vs
#    weight-gathered over x, xy and xyz (the paper's switch points by volume are about 18k, 74k
#    and 885k tokens per batch).
# Each variant runs the fast path (a few layers and decode steps simulated, the rest
# extrapolated, README "Simulating a scenario"): 8 runs, 19 s of CPU time, so about 10 s on two
# idle cores (71 s measured on two cores shared with other builds).
out=$(mktemp -d "${TMPDIR:-/tmp}/podsim_study.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "== PaLM 540B decode on 64 chips: which layout makes a step fastest?"
"$podsim" compare scenarios/t2-low-latency-decode.yaml --set generate_tokens=8 \
  --vary ffn_layout=ws-1d,ws-2d --vary attention=heads,batch -o "$out/decode.csv"
echo
echo "== PaLM 540B prefill of 64 x 2048 tokens on 64 chips: weight-stationary or weight-gathered?"
"$podsim" compare scenarios/t2-low-latency-prefill.yaml --set batch=64 \
  --vary ffn_layout=ws-2d,wg-x,wg-xy,wg-xyz -o "$out/prefill.csv"

# The takeaway: the fastest variant of each phase, read from the CSVs (columns by name).
best() {  # best CSV METRIC -> "point value"
  awk -F, -v metric="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["status"] == "ok" && (best == "" || $col[metric] + 0 < value) {
      best = $col["point"]; value = $col[metric] + 0 }
    END { if (value < 10) printf "%s (%.1f ms)", best, value * 1e3
          else printf "%s (%.2f s)", best, value }' "$1"
}
echo
echo "Takeaway: a decode step is fastest with $(best "$out/decode.csv" decode_step_s), the" \
     "prefill of 131k tokens with $(best "$out/prefill.csv" prefill_s): few tokens per pass" \
     "favour moving activations (weight-stationary), many favour moving weights (weight-gathered)."
p=build/podsim
cat <<NEXT

Next, try:
  $p run scenarios/t2-low-latency-decode.yaml --html report.html   # where a step's time goes
  $p explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB --html ag.html
  $p compare scenarios/t2-low-latency-decode.yaml --vary chips=64,128     # more chips
  $p sweep scenarios/sweeps/decode-context-attention.yaml -o r.csv && $p pareto r.csv
  $p --help                                                                # every command
NEXT
