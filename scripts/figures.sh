#!/usr/bin/env bash
# Regenerates the paper's Figures 1, 6, 7 and 8 (Pope et al., "Efficiently Scaling Transformer
# Inference", arXiv 2211.05102) from podsim's own simulations, as SVG and PNG with titles, units
# and point labels, into one folder:
#   fig1-pareto.{svg,png}        Figure 1: latency vs cost per token, the Pareto frontier of each
#                                PaLM model (decode and prefill panels, points labelled C chips,
#                                B batch)
#   fig6-decode-1d-vs-2d.{svg,png}  Figure 6: 1D vs 2D weight-stationary decode latency per token
#                                against chips (PaLM 540B)
#   fig7-prefill-ws-vs-wg.{svg,png} Figure 7: prefill MFU of 2D weight-stationary vs the
#                                weight-gathered layouts against batch (PaLM 540B, 64 chips)
#   fig8-context.{svg,png}       Figure 8: decode step time against context length, multiquery
#                                attention over heads or batch vs multihead (8-layer PaLM 540B)
#   data/*.csv                   the podsim sweep CSVs the figures are drawn from
#   data/*.yaml                  the sweeps, written here (their grids are the figures' points)
#   times.txt                    the wall time of each figure (simulation + plot)
#
# By default (quick) the sweeps are the shipped ones with collective_einsum: off (Figure 1: bf16
# weights only), which the folded replay simulates exactly in under a second a point, so that
# the whole run takes minutes on 2 cores; every title says so. PODSIM_FIGURES=full runs the
# shipped sweeps as they are (scenarios/sweeps/pareto-*.yaml, decode-1d-vs-2d.yaml,
# prefill-ws-vs-wg.yaml, decode-context-attention.yaml: the looped CollectiveEinsum, int8 too),
# which needs the per-chip replay and takes hours today.
#
# Usage: scripts/figures.sh [OUT_DIR]        (default: figures/ in the repository; builds
# build/podsim first when it is missing)
# Environment: PODSIM (the binary, default build/podsim), PODSIM_FIGURES_JOBS (simulation
# processes, default 2), PODSIM_FIGURES=quick|full, PODSIM_FIGURES_ONLY="1 6 7 8" (a subset).
# Needs matplotlib for the plots (Debian python3-matplotlib, from scripts/install_deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/figures}
podsim=${PODSIM:-$root/build/podsim}
jobs=${PODSIM_FIGURES_JOBS:-2}
mode=${PODSIM_FIGURES:-quick}
only=${PODSIM_FIGURES_ONLY:-1 6 7 8}

# A clean clone has no binary yet: build it (scripts/build.sh, Release, without the tests) unless
# PODSIM names one.
if [ ! -x "$podsim" ] && [ -z "${PODSIM:-}" ]; then
  echo "figures.sh: building podsim first (scripts/build.sh)" >&2
  "$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=OFF >&2
fi
if [ ! -x "$podsim" ]; then
  echo "figures.sh: $podsim not found: build podsim first (scripts/build.sh)" >&2
  exit 2
fi
# The plots need matplotlib: the Debian package serves the system Python.
python=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import matplotlib' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "figures.sh: matplotlib is missing: apt-get install python3-matplotlib" \
       "(scripts/install_deps.sh installs it), or python3 -m pip install matplotlib" >&2
  exit 3
fi

mkdir -p "$out/data"
sweeps="$root/scenarios/sweeps"
times="$out/times.txt"
: >"$times"

# sweep NAME YAML: runs a sweep into data/NAME.csv (a fresh run: an old CSV is moved aside).
sweep() {
  local name=$1 yaml=$2 csv="$out/data/$1.csv"
  [ -f "$csv" ] && mv "$csv" "$csv.old"
  "$podsim" sweep "$yaml" -o "$csv" -j "$jobs"
}

# timed FIGURE COMMAND...: runs and records the wall time.
timed() {
  local figure=$1 start end
  shift
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  echo "$figure $(( (end - start) / 1000000000 )) s" | tee -a "$times"
}

wants() { case " $only " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Writes the quick sweep of each figure into data/: the shipped sweep's grid (Figure 1: bf16
# weights only) with collective_einsum: off, which the folded replay simulates exactly in well
# under a second per point; the looped CollectiveEinsum of the shipped sweeps needs the per-chip
# replay (minutes per point on 256 chips today).
write_quick_sweeps() {
  for model in palm-8b palm-62b palm-540b; do
    cat >"$out/data/fig1-$model.yaml" <<EOF
# Figure 1, $model (figures.sh quick; full: scenarios/sweeps/pareto-$model.yaml).
name: latency/cost frontier, $model (collective_einsum off)
base: $sweeps/palm-generate.yaml
set:
  model: $model
  weights: bf16
  collective_einsum: "off"
grid:
  chips: [8, 16, 32, 64, 128, 256]
  batch: [1, 4, 16, 64, 256, 1024]
  attention: [heads, batch]
EOF
  done
  cat >"$out/data/fig6.yaml" <<EOF
# Figure 6 (figures.sh quick; full: scenarios/sweeps/decode-1d-vs-2d.yaml).
name: decode 1D vs 2D weight-stationary, PaLM 540B, batch 512 (collective_einsum off)
base: $sweeps/palm-540b-decode.yaml
set:
  collective_einsum: "off"
grid:
  chips: [64, 128, 256]
  ffn_layout: [ws-1d, ws-2d]
EOF
  cat >"$out/data/fig7.yaml" <<EOF
# Figure 7 (figures.sh quick; full: scenarios/sweeps/prefill-ws-vs-wg.yaml).
name: prefill 2D weight-stationary vs weight-gathered, PaLM 540B, 64 chips (collective_einsum off)
base: $sweeps/palm-540b-prefill.yaml
set:
  collective_einsum: "off"
grids:
  - batch: [1, 2, 4, 8, 16, 32]
    attention: [heads]
    ffn_layout: [ws-2d, wg-x, wg-xy, wg-xyz]
  - batch: [64, 128, 256, 512]
    attention: [batch]
    ffn_layout: [ws-2d, wg-x, wg-xy, wg-xyz]
EOF
  cat >"$out/data/fig8.yaml" <<EOF
# Figure 8 (figures.sh quick; full: scenarios/sweeps/decode-context-attention.yaml).
name: decode step vs context, multiquery heads/batch vs multihead (collective_einsum off)
base: $sweeps/palm-540b-decode.yaml
set:
  batch: 256
  generate_tokens: 1
  collective_einsum: "off"
grids:
  - model: [$sweeps/models/palm-540b-8layer.yaml]
    attention: [heads, batch]
    input_tokens: [128, 256, 512, 1024, 2048, 4096, 8192]
  - model: [$sweeps/models/palm-540b-8layer-multihead.yaml]
    attention: [heads]
    input_tokens: [128, 256, 512, 1024, 2048, 4096, 8192]
EOF
}

if [ "$mode" = full ]; then
  fig1=("$sweeps/pareto-palm-8b.yaml" "$sweeps/pareto-palm-62b.yaml" "$sweeps/pareto-palm-540b.yaml")
  fig6=$sweeps/decode-1d-vs-2d.yaml fig7=$sweeps/prefill-ws-vs-wg.yaml
  fig8=$sweeps/decode-context-attention.yaml
else
  write_quick_sweeps
  fig1=("$out/data/fig1-palm-8b.yaml" "$out/data/fig1-palm-62b.yaml" "$out/data/fig1-palm-540b.yaml")
  fig6=$out/data/fig6.yaml fig7=$out/data/fig7.yaml fig8=$out/data/fig8.yaml
fi

if [ "$mode" = full ]; then note=""; else note=" [quick mode: collective einsum off; PODSIM_FIGURES=full for the shipped sweeps]"; fi

figure1() {
  local csvs=() i=0
  for yaml in "${fig1[@]}"; do
    local model
    model=$(basename "$yaml" .yaml)
    model=${model#fig1-}
    model=${model#pareto-}
    sweep "fig1-$model" "$yaml"
    csvs+=("$out/data/fig1-$model.csv")
    i=$((i + 1))
  done
  "$python" "$root/scripts/plot_pareto.py" "${csvs[@]}" --group-by model --frontier-only \
    --title "Figure 1: PaLM latency vs cost per token, Pareto frontier per model (C = chips, B = batch)$note" \
    -o "$out/fig1-pareto.png" -o "$out/fig1-pareto.svg"
}
figure6() {
  sweep fig6 "$fig6"
  "$python" "$root/scripts/plot_layouts.py" "$out/data/fig6.csv" --x chips --y decode_step_s --label-points \
    --title "Figure 6: PaLM 540B decode, 1D vs 2D weight-stationary (batch 512)$note" \
    -o "$out/fig6-decode-1d-vs-2d.png" -o "$out/fig6-decode-1d-vs-2d.svg"
}
figure7() {
  sweep fig7 "$fig7"
  "$python" "$root/scripts/plot_layouts.py" "$out/data/fig7.csv" --x batch --y prefill_mfu \
    --group-by ffn_layout --join attention --linear-y \
    --title "Figure 7: PaLM 540B prefill MFU, 2D weight-stationary vs weight-gathered (64 chips; attention sharded over heads below batch 64, over batch from 64)$note" \
    -o "$out/fig7-prefill-ws-vs-wg.png" -o "$out/fig7-prefill-ws-vs-wg.svg"
}
figure8() {
  sweep fig8 "$fig8"
  "$python" "$root/scripts/plot_layouts.py" "$out/data/fig8.csv" --x input_tokens --y decode_step_s \
    --group-by model,attention \
    --title "Figure 8: decode step vs context length, 8-layer PaLM 540B, batch 256, 64 chips$note" \
    -o "$out/fig8-context.png" -o "$out/fig8-context.svg"
}

total_start=$(date +%s%N)
for f in 1 6 7 8; do
  if wants "$f"; then timed "figure $f" "figure$f"; fi
done
total_end=$(date +%s%N)
echo "all $(( (total_end - total_start) / 1000000000 )) s ($mode, -j $jobs, $(nproc) cores)" | tee -a "$times"
echo "figures in $out"
