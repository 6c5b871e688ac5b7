#pragma once
// Closed-form times of the collective algorithms of sim/program/algorithms.hpp, on an otherwise idle slice:
// the oracle the simulated times are compared with, and what `podsim collective` prints beside
// them. Per ring phase over K chips with per-chip larger size S, link bandwidth b, hop latency l,
// fixed cost per message o (ici_message_overhead_s) and HBM bandwidth h:
//   bidir-ring  (K-1) (o + l + S/(2K b))     + reduce-scatter adds (K-1) 2 c 3/h, c = S/(2K)
//   ring        (K-1) (o + l + S/(K b))      + reduce-scatter adds (K-1) 3 S/(K h)
//   line        (K-1) (o + l + S/(K b))      + reduce-scatter adds (K-1) 2 x 3 S/(K h)
// (the adds of the two directions share HBM; a line's end chips add only one way, so the line's
// reduce-scatter form is an upper bound by at most the add term).
// Phases of one part add up; concurrent parts run side by side (exact when they never share a
// link, i.e. when all axes have the same length). all-to-all: the most loaded link's bytes over b
// plus the longest route's latency plus o. permute: o + l x hops + S/b. ("latency" below counts
// o with the hop latency: both are fixed costs per message.) Every collective adds its launch
// cost spec.launch_overhead_s once (0 in a trace's specs: the lowering copies it from the chip).

#include <string>

#include "sim/partition/collective.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

struct CollectiveEstimate {
  Seconds time_s = 0;
  Seconds latency_s = 0;    // the part due to hop latency
  Seconds bandwidth_s = 0;  // the part due to link bandwidth (and HBM adds)
  bool latency_bound() const { return latency_s > bandwidth_s; }
};

// Requires validate_collective(spec, shape) to have passed.
CollectiveEstimate collective_estimate(const CollectiveSpec& spec, const TorusShape& shape,
                                       const ChipSpec& chip);

// Bytes carried by the most loaded directed link in an all-to-all of per-chip buffer `bytes`
// over `axes` with dimension-order routing (closed form, see the .cpp).
double all_to_all_max_link_bytes(const TorusShape& shape, const AxisSet& axes, Bytes bytes);

// Total bytes over the links of one group of that all-to-all (the chips sharing every coordinate
// outside `axes`): every chunk times its hop count. Multiply by the number of groups for the slice.
double all_to_all_total_link_bytes(const TorusShape& shape, const AxisSet& axes, Bytes bytes);

}  // namespace podsim
