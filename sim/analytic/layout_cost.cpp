#include "sim/analytic/layout_cost.hpp"

#include <algorithm>

#include "sim/core/check.hpp"

namespace podsim {

namespace {
double fraction_sent(double k) { return (k - 1) / k; }
}  // namespace

LayoutCommVolume layout_comm_volume(FfnLayout layout, const TorusShape& shape,
                                    const LayoutCostInputs& in) {
  const double X = shape.dims[0], Y = shape.dims[1], Z = shape.dims[2];
  const double n = X * Y * Z;
  const double BL = in.batch * in.tokens, E = in.d_model;
  const double a = in.activation_element_bytes, w = in.weight_element_bytes;
  LayoutCommVolume v;
  const auto weight_gathered = [&](double N) {
    // Activations B_N L E_{n/N}: one all-gather and one reduce-scatter of B L E / N over the
    // n / N other chips; none when N = n.
    if (N < n) {
      v.activation_bytes = 2 * BL * E / N * a;
      v.activation_transfer_bytes = v.activation_bytes * fraction_sent(n / N);
    }
    v.weight_bytes = E * (in.ffn_in + in.ffn_out) * N / n * w;
    v.weight_transfer_bytes = v.weight_bytes * fraction_sent(N);
  };
  switch (layout) {
    case FfnLayout::ws_1d:
      v.activation_bytes = 2 * BL * E * a;
      v.activation_transfer_bytes = v.activation_bytes * fraction_sent(n);
      break;
    case FfnLayout::ws_2d: {
      const double e_terms = 2 * BL * E / X * a;                           // over yz
      const double f_terms = BL * (in.ffn_in + in.ffn_out) / (Y * Z) * a;  // over x
      v.activation_bytes = e_terms + f_terms;
      v.activation_transfer_bytes = e_terms * fraction_sent(Y * Z) + f_terms * fraction_sent(X);
      break;
    }
    case FfnLayout::wg_x:
      weight_gathered(X);
      break;
    case FfnLayout::wg_xy:
      weight_gathered(X * Y);
      break;
    case FfnLayout::wg_xyz:
      weight_gathered(n);
      break;
  }
  return v;
}

FfnLayout cheapest_layout(const std::vector<FfnLayout>& candidates, const TorusShape& shape,
                          const LayoutCostInputs& in) {
  PODSIM_CHECK(!candidates.empty(), "no candidate layouts");
  FfnLayout best = candidates.front();
  double best_bytes = layout_comm_volume(best, shape, in).total_bytes();
  for (FfnLayout layout : candidates) {
    const double bytes = layout_comm_volume(layout, shape, in).total_bytes();
    if (bytes < best_bytes) {
      best = layout;
      best_bytes = bytes;
    }
  }
  return best;
}

namespace {

// ICI links a chip can drive at once in a 3D torus (platforms/README.md §1: six links per chip),
// and the
// two of a single bidirectional ring: the best and worst case of layer_time_bounds.
constexpr double kLinksBest = 6;
constexpr double kLinksWorst = 2;

}  // namespace

LayerTimeBounds layer_time_bounds(FfnLayout layout, const TorusShape& shape,
                                  const LayoutCostInputs& in, const ChipSpec& chip) {
  const double n = double(shape.chip_count());
  const double weights = in.d_model * (in.ffn_in + in.ffn_out);  // elements per layer
  const Seconds compute =
      2 * in.batch * in.tokens * weights / n / chip.effective_peak_flops_per_s();
  const Seconds memory =
      weights * in.weight_element_bytes / n / chip.effective_hbm_bytes_per_s();
  const double comm_bytes = layout_comm_volume(layout, shape, in).transfer_bytes();
  const BytesPerSecond link = chip.effective_ici_link_bytes_per_s();
  const Seconds comm_best = comm_bytes / (kLinksBest * link);
  const Seconds comm_worst = comm_bytes / (kLinksWorst * link);
  return {std::max({compute, memory, comm_best}), compute + memory + comm_worst};
}

}  // namespace podsim
