#!/usr/bin/env bash
# The wall time of each figure of scripts/figures.sh (issue 15: "the time it took is in
# BENCHMARKS.md"): runs it (quick mode, -j 2) into a temporary folder with this binary and prints
# a Markdown section on stdout (scripts/bench.sh appends it to BENCHMARKS.md).
# Usage: scripts/bench_figures.sh [PODSIM_BINARY]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
podsim=${1:-$root/build/podsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

PODSIM=$podsim PODSIM_FIGURES=quick PODSIM_FIGURES_JOBS=2 "$root/scripts/figures.sh" "$tmp" \
  > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
echo
echo "## Figures (scripts/figures.sh)"
echo
echo "Wall time of each figure, its sweeps and its plot, in the default quick mode (the shipped"
echo "grids with collective_einsum off), -j 2, on $(nproc) cores:"
echo
echo "| figure | wall (s) |"
echo "|---|---|"
awk '/^figure / { print "| " $1 " " $2 " | " $3 " |" } /^all / { total = $2 } END { print "| all | " total " |" }' "$tmp/times.txt"
