#include "sim/analytic/collective_cost.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "sim/partition/collective.hpp"

namespace podsim {

namespace {

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

// Signed steps of the dimension-order route from i to j along an axis of length k (Torus::route's
// rule: the shorter way round a wrapped axis, the positive way on a tie; straight on a mesh).
int axis_steps_of(int i, int j, int k, bool wrapped) {
  if (!wrapped) return j - i;
  const int d = ((j - i) % k + k) % k;
  if (d == 0) return 0;
  return d <= k - d ? d : -(k - d);
}

// Histogram by distance (index = hops along the axis) of the ordered pairs (i, j) of one axis
// whose route crosses the directed link leaving position m in the positive (or negative) way.
std::vector<long long> crossing_histogram(int k, bool wrapped, int m, bool positive) {
  std::vector<long long> h(k, 0);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      const int s = axis_steps_of(i, j, k, wrapped);
      if (s == 0 || (s > 0) != positive) continue;
      for (int p = i, n = 0; n < std::abs(s); ++n) {
        if (p == m) {
          ++h[std::abs(s)];
          break;
        }
        p = ((p + (positive ? 1 : -1)) % k + k) % k;
      }
    }
  return h;
}

// Histogram of |steps(c, c')| over every c' of the axis (c' = c included, at distance 0).
std::vector<long long> distance_histogram(int k, bool wrapped, int c) {
  std::vector<long long> h(k, 0);
  for (int j = 0; j < k; ++j) ++h[std::abs(axis_steps_of(c, j, k, wrapped))];
  return h;
}

std::vector<long long> convolve(const std::vector<long long>& a, const std::vector<long long>& b) {
  std::vector<long long> out(a.size() + b.size() - 1, 0);
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != 0)
      for (std::size_t j = 0; j < b.size(); ++j) out[i + j] += a[i] * b[j];
  return out;
}

// The routes of an all-to-all over `axes` enumerated pair by pair (Torus::route, so on a twisted
// slice the twisted graph's shortest routes): for every directed link, the number of flows on it
// by their hop count. Used where the per-axis histograms above do not apply (a twisted slice,
// whose routes leave the axis lines). 4x8x8: 65,280 routes, milliseconds.
struct RoutedLoads {
  std::vector<std::vector<long long>> by_link;  // [link id][hops] -> flows
  long long total_hops = 0;                     // over every route of every group
  int longest_route_hops = 0;
};

RoutedLoads routed_all_to_all_loads(const TorusShape& shape, const AxisSet& axes) {
  const Torus torus(shape);
  RoutedLoads out;
  out.by_link.assign(torus.link_slot_count(), {});
  std::vector<char> done(torus.chip_count(), 0);
  for (ChipId first = 0; first < torus.chip_count(); ++first) {
    if (done[first]) continue;
    const std::vector<ChipId> group = torus.group_of(first, axes);
    for (ChipId c : group) done[c] = 1;
    for (ChipId src : group)
      for (ChipId dst : group) {
        if (src == dst) continue;
        const std::vector<Hop> route = torus.route(src, dst);
        const int h = static_cast<int>(route.size());
        out.total_hops += h;
        out.longest_route_hops = std::max(out.longest_route_hops, h);
        for (const Hop& hop : route) {
          std::vector<long long>& hist = out.by_link[Torus::link_id(hop.from, hop.direction)];
          if (static_cast<int>(hist.size()) <= h) hist.resize(h + 1, 0);
          ++hist[h];
        }
      }
  }
  return out;
}

}  // namespace

CollectiveEstimate ring_step_estimate(const RingPhase& phase, RingAlgorithm algorithm,
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
  e.latency_s = l + chip.ici_message_overhead_s;
  e.bandwidth_s = message / b + (phase.reduce ? adds : 0);
  e.time_s = e.latency_s + e.bandwidth_s;
  return e;
}

AllToAllBound all_to_all_bound(const CollectiveSpec& spec, const TorusShape& shape,
                               const ChipSpec& chip) {
  AllToAllBound out;
  const std::vector<Axis> axes = spec.axes.axes();
  long long group = 1;
  for (Axis a : axes) group *= shape.size(a);
  // The chunk every chip sends each other chip (algorithms.cpp: append_all_to_all).
  out.chunk_bytes = std::max<Bytes>(1, spec.bytes / static_cast<Bytes>(group));
  const double b = chip.effective_ici_link_bytes_per_s(), l = chip.ici_hop_latency_s;
  out.link_bytes_per_s = b;
  const double chunk = static_cast<double>(out.chunk_bytes);
  // A link whose crossing flows, by route length, are `h` (h[n]: flows of n hops): the busiest
  // link by bytes, and the bound over n of n hop latencies plus the bytes of the flows of n hops
  // or more (those still on the wire after n - 1 hop latencies), from the longest down.
  const auto consider = [&](const std::vector<long long>& h, const Coord& at, Direction dir) {
    long long flows = 0;
    for (long long n : h) flows += n;
    if (flows * chunk > out.busiest_bytes) {
      out.busiest_bytes = flows * chunk;
      out.busiest_flows = flows;
      out.busiest_at = at;
      out.busiest_direction = dir;
    }
    long long later = 0;
    for (int h0 = static_cast<int>(h.size()) - 1; h0 >= 1; --h0) {
      later += h[h0];
      if (h[h0] == 0) continue;
      const double t = h0 * l + later * chunk / b;
      if (t > out.time_s) {
        out.time_s = t;
        out.latency_s = h0 * l;
        out.bandwidth_s = later * chunk / b;
        out.at = at;
        out.direction = dir;
        out.flows = later;
        out.min_hops = h0;
      }
    }
  };
  if (shape.twisted) {
    // The same bound over the enumerated routes of the twisted graph (no per-axis symmetry).
    const RoutedLoads loads = routed_all_to_all_loads(shape, spec.axes);
    out.longest_route_hops = loads.longest_route_hops;
    const Torus torus(shape);
    for (LinkId link = 0; link < static_cast<LinkId>(loads.by_link.size()); ++link) {
      const std::vector<long long>& h = loads.by_link[link];
      long long flows = 0;
      for (long long n : h) flows += n;
      if (flows == 0) continue;
      consider(h, torus.coord(link / kDirections), static_cast<Direction>(link % kDirections));
    }
    return out;
  }
  for (Axis a : axes)
    out.longest_route_hops += shape.wrapped(a) ? shape.size(a) / 2 : shape.size(a) - 1;
  // One representative link per class: on a wrapped axis every position (and, along another
  // wrapped axis, every coordinate) sees the same histograms, so only position 0 is counted.
  for (Axis a : axes) {
    const int k = shape.size(a);
    std::vector<Axis> others;
    for (Axis o : axes)
      if (o != a) others.push_back(o);
    const int positions = shape.wrapped(a) ? 1 : k - 1;  // a mesh's last chip has no + link
    for (int sign = 0; sign < 2; ++sign)
      for (int m0 = 0; m0 < positions; ++m0) {
        const bool positive = sign == 0;
        const int m = positive || shape.wrapped(a) ? m0 : m0 + 1;  // a mesh's first has no - link
        const std::vector<long long> along = crossing_histogram(k, shape.wrapped(a), m, positive);
        const int c0n = others.size() > 0 && !shape.wrapped(others[0]) ? shape.size(others[0]) : 1;
        const int c1n = others.size() > 1 && !shape.wrapped(others[1]) ? shape.size(others[1]) : 1;
        for (int c0 = 0; c0 < c0n; ++c0)
          for (int c1 = 0; c1 < c1n; ++c1) {
            std::vector<long long> h = along;
            Coord at;
            at[a] = m;
            if (others.size() > 0) {
              h = convolve(h, distance_histogram(shape.size(others[0]), shape.wrapped(others[0]), c0));
              at[others[0]] = c0;
            }
            if (others.size() > 1) {
              h = convolve(h, distance_histogram(shape.size(others[1]), shape.wrapped(others[1]), c1));
              at[others[1]] = c1;
            }
            consider(h, at, direction_of(a, positive));
          }
      }
  }
  return out;
}

double all_to_all_max_link_bytes(const TorusShape& shape, const AxisSet& axes, Bytes bytes) {
  double group = 1;
  for (Axis a : axes.axes()) group *= shape.size(a);
  const double chunk = static_cast<double>(bytes) / group;
  if (shape.twisted) {
    long long most = 0;
    for (const std::vector<long long>& h : routed_all_to_all_loads(shape, axes).by_link) {
      long long flows = 0;
      for (long long n : h) flows += n;
      most = std::max(most, flows);
    }
    return chunk * static_cast<double>(most);
  }
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
  if (shape.twisted) {  // one group's share of every group's routes
    const double groups = shape.chip_count() / group;
    return chunk * static_cast<double>(routed_all_to_all_loads(shape, axes).total_hops) / groups;
  }
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
    // Every send pays its message cost before it moves (fidelity's o), after its hop latency.
    const AllToAllBound bound = all_to_all_bound(spec, shape, chip);
    total.latency_s = bound.latency_s + chip.ici_message_overhead_s;
    total.bandwidth_s = bound.bandwidth_s;
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
        const auto e = ring_step_estimate(
            phase, effective_algorithm(spec.algorithm, shape, phase.axis), shape, chip);
        const double steps = shape.size(phase.axis) - 1;
        part.latency_s += steps * e.latency_s;
        part.bandwidth_s += steps * e.bandwidth_s;
      }
      if (part.latency_s + part.bandwidth_s > total.latency_s + total.bandwidth_s) total = part;
    }
  }
  total.latency_s += spec.launch_overhead_s;
  total.time_s = total.latency_s + total.bandwidth_s;
  return total;
}

}  // namespace podsim
