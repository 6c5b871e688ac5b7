#include "sim/analytic/collective_cost.hpp"

#include <algorithm>

#include "sim/partition/collective.hpp"

namespace podsim {

namespace {

CollectiveEstimate ring_phase_estimate(const RingPhase& phase, RingAlgorithm algorithm,
                                       const TorusShape& shape, const ChipSpec& chip) {
  const double k = shape.size(phase.axis);
  const double shard = static_cast<double>(phase.larger_bytes) / k;
  const double l = chip.ici_hop_latency_s, b = chip.effective_ici_link_bytes_per_s(),
               h = chip.effective_hbm_bytes_per_s();
  double message = shard, adds = 0;
  switch (algorithm) {
    case RingAlgorithm::bidir_ring:
      message = shard / 2;
      adds = 2 * kReduceHbmBytesPerByte * message / h;
      break;
    case RingAlgorithm::ring:
      adds = kReduceHbmBytesPerByte * message / h;
      break;
    default:  // line
      adds = (k > 2 ? 2 : 1) * kReduceHbmBytesPerByte * message / h;
      break;
  }
  CollectiveEstimate e;
  e.latency_s = (k - 1) * (l + chip.ici_message_overhead_s);
  e.bandwidth_s = (k - 1) * (message / b + (phase.reduce ? adds : 0));
  e.time_s = e.latency_s + e.bandwidth_s;
  return e;
}

// Load of the busiest directed link of one axis of length k when every chip of a ring (or line)
// sends one unit to every other, on dimension-order shortest routes (ties go the positive way).
double ring_all_to_all_max_units(int k, bool wrapped) {
  if (!wrapped) {
    // Link (m, m+1) carries every pair with one end at or left of m and the other right of it.
    double best = 0;
    for (int m = 0; m + 1 < k; ++m) best = std::max(best, double(m + 1) * double(k - 1 - m));
    return best;
  }
  // By symmetry every positive link carries, for each distance d routed positively, d units.
  double positive = 0;
  for (int d = 1; d < k; ++d)
    if (d <= k - d) positive += d;
  return positive;
}

}  // namespace

double all_to_all_max_link_bytes(const TorusShape& shape, const AxisSet& axes, Bytes bytes) {
  double group = 1;
  for (Axis a : axes.axes()) group *= shape.size(a);
  const double chunk = static_cast<double>(bytes) / group;
  double worst = 0;
  for (Axis a : axes.axes()) {
    // A link of axis a carries the pairs of group/K_a "rows" (see the header).
    const double rows = group / shape.size(a);
    worst = std::max(worst, chunk * rows * ring_all_to_all_max_units(shape.size(a), shape.wrapped(a)));
  }
  return worst;
}

double all_to_all_total_link_bytes(const TorusShape& shape, const AxisSet& axes, Bytes bytes) {
  double group = 1;
  for (Axis a : axes.axes()) group *= shape.size(a);
  const double chunk = static_cast<double>(bytes) / group;
  // Hops add up axis by axis: sum over pairs of the distance along each axis.
  double total_hops = 0;
  for (Axis a : axes.axes()) {
    const int k = shape.size(a);
    double per_ring = 0;  // sum of distances over ordered pairs of one ring
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) {
        int d = std::abs(i - j);
        if (shape.wrapped(a)) d = std::min(d, k - d);
        per_ring += d;
      }
    total_hops += per_ring * (group / k) * (group / k);
  }
  return chunk * total_hops;
}

CollectiveEstimate collective_estimate(const CollectiveSpec& spec, const TorusShape& shape,
                                       const ChipSpec& chip) {
  CollectiveEstimate total;
  const double b = chip.effective_ici_link_bytes_per_s(), l = chip.ici_hop_latency_s;
  if (spec.kind == CollectiveKind::all_to_all) {
    int max_hops = 0;
    for (Axis a : spec.axes.axes())
      max_hops += shape.wrapped(a) ? shape.size(a) / 2 : shape.size(a) - 1;
    total.latency_s = max_hops * l + chip.ici_message_overhead_s;
    total.bandwidth_s = all_to_all_max_link_bytes(shape, spec.axes, spec.bytes) / b;
  } else if (spec.kind == CollectiveKind::permute) {
    // The longest route to the next chip of the group: the wrap from the last chip to the first
    // (x fastest), one hop per axis where it wraps, across the line where it does not.
    int hops = 0;
    const std::vector<Axis> axes = spec.axes.axes();
    hops = shape.wrapped(axes[0]) ? 1 : shape.size(axes[0]) - 1;
    for (std::size_t i = 1; i < axes.size(); ++i)
      hops += shape.wrapped(axes[i]) ? 1 : shape.size(axes[i]) - 1;
    if (axes.size() > 1) hops = std::max(hops, 1);
    total.latency_s = hops * l + chip.ici_message_overhead_s;
    total.bandwidth_s = static_cast<double>(spec.bytes) / b;
  } else {
    for (const auto& phases : ring_collective_parts(spec, shape)) {
      CollectiveEstimate part;
      for (const RingPhase& phase : phases) {
        const auto e = ring_phase_estimate(
            phase, effective_algorithm(spec.algorithm, shape, phase.axis), shape, chip);
        part.latency_s += e.latency_s;
        part.bandwidth_s += e.bandwidth_s;
      }
      if (part.latency_s + part.bandwidth_s > total.latency_s + total.bandwidth_s) total = part;
    }
  }
  total.latency_s += spec.launch_overhead_s;
  total.time_s = total.latency_s + total.bandwidth_s;
  return total;
}

}  // namespace podsim
