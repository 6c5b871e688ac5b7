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
// link, i.e. when all axes have the same length). all-to-all: a lower bound, exact in what it
// assumes (all_to_all_bound below): the most loaded link's bytes over b, after the hop latency
// before its flows can start. permute: l x hops + S/b.
// b is the effective link rate (ici_link_bytes_per_s x ici_efficiency) and h the effective HBM
// rate, the rates the replay's links and HBM run at; the only per-message cost the replay adds
// is the route's hop latency (hops x l) before a send moves. The collective launch overhead
// (collective_overhead_s) is a cost of `podsim run`'s trace lowering, not of these forms.
// Per-message cost o (ici_message_overhead_s): every ring step, all-to-all send and permute pays
// it with the hop latency ("latency" below counts both). Every collective adds its launch cost
// spec.launch_overhead_s once (0 in a trace's specs: the lowering copies it from the chip).

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

// The all-to-all's lower bound from its routes. Every chip sends chunk = floor(S/G) bytes (G: the
// group size) to each other chip of its group at time 0, along its dimension-order route
// (Torus::route: x, then y, then z; the shorter way round a wrapped axis, the positive way on a
// tie); the flow of h hops starts moving at h x l (the replay's hop latency) and moves at most b
// on every link of its route, the flows of one link sharing its b. So for every directed link L
// and every hop count h0, the flows on L of h0 hops or more cannot finish before
//   h0 x l + (their bytes) / b,
// and the all-to-all cannot finish before the largest of these over L and h0. With h0 the fewest
// hops of any flow on L this is the classic "most loaded link's bytes over its rate" (plus the
// latency before that link can start); the larger h0 account for flows that start late. The link
// loads are counted per axis (a link of axis a carries the pairs whose 1D route along a crosses
// it, times the chips reachable along the other axes of the group, with their distances), never
// enumerating the G^2 pairs: milliseconds on a 16x16x16 slice. On a twisted slice (whose routes
// leave the axis lines) the same bound is taken over the enumerated routes of the twisted graph:
// the most loaded link's bytes over its rate, on the graph the replay routes over.
struct AllToAllBound {
  Seconds time_s = 0;
  Seconds latency_s = 0;    // h0 x l of the binding (link, h0)
  Seconds bandwidth_s = 0;  // the binding link's bytes of h0 hops or more, over b
  BytesPerSecond link_bytes_per_s = 0;  // b
  Bytes chunk_bytes = 0;
  // The link that sets the bound, the flows on it of h0 hops or more, and h0.
  Coord at;
  Direction direction = Direction::px;
  long long flows = 0;
  int min_hops = 0;
  // The most loaded link (most bytes; with h0 = its fewest hops it often is the binding one).
  Coord busiest_at;
  Direction busiest_direction = Direction::px;
  long long busiest_flows = 0;
  double busiest_bytes = 0;
  int longest_route_hops = 0;
};
// Requires spec.kind == all_to_all and validate_collective(spec, shape) to have passed.
AllToAllBound all_to_all_bound(const CollectiveSpec& spec, const TorusShape& shape,
                               const ChipSpec& chip);

// One of the K-1 steps of a ring phase (the message of one direction over b plus one hop latency,
// plus the step's reduce-scatter adds): the phase costs K-1 of them, and a part the sum of its
// phases, which is what collective_estimate adds up and `podsim explain` prints per step.
CollectiveEstimate ring_step_estimate(const RingPhase& phase, RingAlgorithm algorithm,
                                      const TorusShape& shape, const ChipSpec& chip);

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
