#!/usr/bin/env bash
# Byte-identical outputs across a restructuring (issue 11, "One room per stage"): runs a fixed set
# of podsim commands and compares what they write with test/golden/outputs/, first recorded from
# the commit before the move (ebd65e9, the last commit of the old layout); `git log test/golden`
# lists the later commits that changed outputs on purpose and recorded them again.
#
# Usage: scripts/check_outputs.sh [--record] [PODSIM]
#   PODSIM    the binary to check (default build/podsim)
#   --record  write the outputs into test/golden/outputs/ instead of comparing (only ever run
#             on the commit whose behaviour is the reference)
# Exit 0 when every output is identical, 1 with a list of the outputs that differ.
# The commands run with the per-chip replay (PODSIM_REPLAY=per-chip, the reference path), unless
# PODSIM_REPLAY is set: PODSIM_REPLAY=auto scripts/check_outputs.sh compares the default path
# (the folded replay where it is exact), which differs only in the "replay" key and line and in
# the last bits of some per-link sums.
# A change that is meant to alter outputs (a model change, a new column) records them again in
# the same commit and says so in its message.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PODSIM_REPLAY=${PODSIM_REPLAY:-per-chip}
record=0
if [ "${1:-}" = --record ]; then record=1; shift; fi
podsim=${1:-$root/build/podsim}
podsim=$(cd "$(dirname "$podsim")" && pwd)/$(basename "$podsim")
golden=$root/test/golden/outputs
out=$(mktemp -d "${TMPDIR:-/tmp}/podsim_outputs.XXXXXX")
trap 'rm -rf "$out"' EXIT
cd "$root"  # the commands use repository-relative paths, which end up in the outputs

# name | command (its outputs go to $out/name.*)
run() {
  local name=$1; shift
  if ! "$podsim" "$@" > "$out/$name.stdout" 2> "$out/$name.stderr"; then
    echo "check_outputs: '$name' failed: podsim $*" >&2
    cat "$out/$name.stderr" >&2
    exit 1
  fi
}

for s in t2-low-latency-prefill t2-low-latency-decode t2-high-throughput-prefill \
         t2-high-throughput-decode; do
  run "run-$s" run "scenarios/$s.yaml" --json "$out/run-$s.json"
done
run run-palm-8b-text run scenarios/palm-8b-8chips.yaml
run run-auto-t2-low-latency-decode run scenarios/t2-low-latency-decode.yaml --set ffn_layout=auto \
  --json "$out/run-auto-t2-low-latency-decode.json"
run run-auto-palm-8b-text run scenarios/palm-8b-8chips.yaml --set ffn_layout=auto
run compare-palm-8b compare scenarios/palm-8b-8chips.yaml --vary ffn_layout=ws-1d,ws-2d,auto \
  --json "$out/compare-palm-8b.json" -j 2
run calibrate-no-fit calibrate scenarios/calibration/network-ici.yaml \
  scenarios/calibration/paper-table2.yaml scenarios/calibration/paper-table3.yaml --no-fit
run explain-all-gather explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB
run explain-all-to-all explain --op all-to-all --axes xy --shape 4x4x4 --bytes 4MiB
run trace-t2-low-latency-decode trace scenarios/t2-low-latency-decode.yaml \
  -o "$out/trace-t2-low-latency-decode.json"
run trace-palm-8b trace scenarios/palm-8b-8chips.yaml -o "$out/trace-palm-8b.json"
run collective-all-gather collective --shape 4x4x4 --op all-gather --axes xyz --bytes 64MiB \
  --json "$out/collective-all-gather.json"
run collective-all-to-all collective --shape 4x4x4 --op all-to-all --axes xyz --bytes 4MiB \
  --json "$out/collective-all-to-all.json"
run collective-mesh collective --shape 4x4x2 --op reduce-scatter --axes xz --bytes 1MiB \
  --json "$out/collective-mesh.json"
run sweep-decode-context-attention sweep scenarios/sweeps/decode-context-attention.yaml \
  -o "$out/sweep-decode-context-attention.csv" -j 2
run pareto-decode-context-attention pareto "$out/sweep-decode-context-attention.csv" \
  --max-latency decode=10ms -o "$out/pareto-decode-context-attention.csv" \
  --json "$out/pareto-decode-context-attention.json"
run timeline-palm-8b run scenarios/palm-8b-8chips.yaml --perfetto "$out/timeline-palm-8b.perfetto.json" \
  --html "$out/timeline-palm-8b.html"

# What is compared: every file written, and the stdout of the runs without --json/-o (a sweep's
# and a timeline's stdout and stderr carry wall times and file sizes, and are left out).
rm -f "$out"/*.stderr "$out"/sweep-*.stdout "$out"/timeline-*.stdout
# Outputs name the files they read by absolute path (source_file): the checkout's own path is
# written as <root>, so that a clone anywhere compares equal.
for f in "$out"/*; do sed -i "s#$root#<root>#g" "$f"; done
if [ "$record" = 1 ]; then
  rm -rf "$golden"
  mkdir -p "$golden"
  for f in "$out"/*; do gzip -9 -n -c "$f" > "$golden/$(basename "$f").gz"; done
  echo "check_outputs: recorded $(ls "$golden" | wc -l) outputs in test/golden/outputs/"
  exit 0
fi

status=0
for g in "$golden"/*.gz; do
  name=$(basename "$g" .gz)
  if [ ! -f "$out/$name" ]; then echo "missing: $name"; status=1; continue; fi
  if ! gzip -dc "$g" | cmp -s - "$out/$name"; then
    echo "differs: $name"
    gzip -dc "$g" | diff - "$out/$name" | head -5 || true
    status=1
  fi
done
for f in "$out"/*; do
  [ -f "$golden/$(basename "$f").gz" ] || { echo "not recorded: $(basename "$f")"; status=1; }
done
if [ "$status" = 0 ]; then
  echo "check_outputs: $(ls "$golden" | wc -l) outputs byte-identical to test/golden/outputs/"
fi
exit $status
