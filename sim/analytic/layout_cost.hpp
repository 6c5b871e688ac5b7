#pragma once
// The paper's closed-form per-chip communication volume of one transformer layer for each
// layout (Pope et al., arXiv 2211.05102, §3.2; platforms/README.md §3), written from the formulas
// and not
// from the layout table, so that tests can hold the trace generator against it. Bandwidth only:
// time = volume / per-chip ICI bandwidth.
//
// With B batch, L tokens, E d_model, n = X Y Z chips and an FFN whose input einsum has F_in
// columns and output einsum F_out rows (a plain FFN: F_in = F_out = F; PaLM's fused parallel
// block: F_in = 2F + H d_head for SwiGLU gate + up and Q, F_out = F + H d_head), summing D, the
// per-chip size of the larger side of each all-gather / reduce-scatter:
//   ws-1d   2 B L E                                   (all-gather + reduce-scatter over xyz)
//   ws-2d   2 B L E / X + B L (F_in + F_out) / (Y Z)  (= 2 B L (E/X + F/YZ) for a plain FFN)
//   wg-N    activations 2 B L E / N (none when N = n), weights E (F_in + F_out) N / n
// (N = X, X Y, X Y Z; weights in their own element size). The `transfer` variants multiply each
// term by (K-1)/K, K the chips of its collective: the bytes a chip actually sends.

#include <vector>

#include "sim/core/units.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/partition/layout.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

struct LayoutCostInputs {
  double batch = 0;                     // B
  double tokens = 0;                    // L, tokens per sequence in this pass
  double d_model = 0;                   // E
  double ffn_in = 0;                    // F_in, columns of the input einsum
  double ffn_out = 0;                   // F_out, rows of the output einsum
  double activation_element_bytes = 2;  // bf16
  double weight_element_bytes = 2;      // bf16 (1 for int8)
};

struct LayoutCommVolume {
  double activation_bytes = 0;           // sum of D over activation collectives (paper's form)
  double weight_bytes = 0;               // sum of D over weight all-gathers
  double activation_transfer_bytes = 0;  // with the (K-1)/K factors
  double weight_transfer_bytes = 0;
  double total_bytes() const { return activation_bytes + weight_bytes; }
  double transfer_bytes() const { return activation_transfer_bytes + weight_transfer_bytes; }
};

// Per chip, per layer.
LayoutCommVolume layout_comm_volume(FfnLayout layout, const TorusShape& shape,
                                    const LayoutCostInputs& in);

// The layout with the smallest paper-form volume (total_bytes) among `candidates`; ties go to
// the earlier candidate. Requires a non-empty list. The paper's switch points by volume alone
// (platforms/README.md §3); `ffn_layout: auto` is decided by simulated time
// (explore/layout_search), not by
// this.
FfnLayout cheapest_layout(const std::vector<FfnLayout>& candidates, const TorusShape& shape,
                          const LayoutCostInputs& in);

// Closed-form bounds of the time of one transformer layer on one chip, used to prune layout
// candidates before simulating them: compute = weight matmul flops / (peak x mxu_efficiency),
// memory = weight bytes / (HBM bandwidth x hbm_efficiency), comm = the transfer bytes of
// layout_comm_volume over the ICI links at ici_efficiency. `low` = max(compute, memory, comm over
// the six links of a 3D torus chip), everything overlapped on every link (platforms/README.md §1);
// `high`
// = compute + memory + comm over the two links of one bidirectional ring, nothing overlapped.
// The chip model's per-op overheads are in neither: callers keep a margin.
struct LayerTimeBounds {
  Seconds low_s = 0;
  Seconds high_s = 0;
};
LayerTimeBounds layer_time_bounds(FfnLayout layout, const TorusShape& shape,
                                  const LayoutCostInputs& in, const ChipSpec& chip);

}  // namespace podsim
