#pragma once
// Looped CollectiveEinsum (Wang et al., ASPLOS 2023; used by Pope et al. §3.5): an all-gather
// feeding an einsum, or an einsum feeding a reduce-scatter, becomes a loop over the K chips of the
// collective's group in which each chunk's matmul overlaps the collective permute of the next
// chunk. Bidirectional: every shard (or partial sum) is cut in halves that travel opposite ways
// round the group's ring for K-1 steps, so every chip sends and receives exactly the bytes of the
// plain collective, (K-1)/K of its larger side. Pure C++: appends tasks to a Program.

#include <string>

#include "sim/partition/collective.hpp"
#include "sim/program/program.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/workload/op_cost.hpp"

namespace podsim {

// The chips of each group of `axes`, each in ring order.
//
// RingOrder::hamiltonian: a Hamiltonian cycle of the group built from the slowest axis outwards.
// The cycle over the slowest axis is 0, 1, ..., K-1 (closed by its wrap link); each further axis
// a, taken from slower to faster, replaces every position i of the cycle so far by a column that
// walks a up (i even) or down (i odd). Every step inside a column moves a by one, every step
// between columns is a step of the previous cycle, and when that cycle has even length the last
// column walks down and ends where the first begins, one step of the previous cycle away. So with
// an even slowest axis (podsim puts one first when there is one) and wrapped axes, every step of
// the ring, the closing one included, is one hop, and the ring's forward and backward steps use
// each directed link at most once. Why this order is the realistic one: ICI links join only
// torus neighbours (six per chip, platforms/README.md §1), so a ring step of two hops crosses a link another
// step of the same ring also uses, pays twice the hop latency, and holds back every chip of the
// loop, which runs at the pace of its slowest step; a ring laid on nearest neighbours only, which
// a torus of even size always admits, has none of that. (Assumption: XLA's runtime lays its
// multi-axis rings this way; podsim has no trace of its actual order.) Over two axes it is the
// snake; over one axis both orders are 0..K-1.
//
// RingOrder::snake: the boustrophedon walk, first axis fastest, an axis running backwards when
// the sum of the slower digits is odd; over three axes its closing step takes two hops.
std::vector<std::vector<ChipId>> ring_groups(const Torus& torus, const AxisSet& axes,
                                             RingOrder order = RingOrder::hamiltonian);

// True when every step of `ring`, the closing one included, is one hop (route_hops == 1), and the
// ring has at least three chips (so that each chip's two neighbours differ).
bool ring_is_one_hop(const Torus& torus, const std::vector<ChipId>& ring);

enum class LoopedKind { all_gather_then_einsum, einsum_then_reduce_scatter };

// How a Looped CollectiveEinsum over several axes is decomposed (issue 13). The loop runs over
// ONE axis of the collective, the longest (ties: x, then y, then z); the other axes stay a plain
// collective: an all-gather over them before the loop, a reduce-scatter over them after it (on
// the loop's output, 1/K of the bytes). Assumptions, since neither the paper nor Wang et al.
// give XLA's choice for several axes: (1) a loop over one ring of all the axes' chips would take
// K-1 = 15 to 255 serial steps, each paying the per-message fixed cost, which is what made
// `looped` slower than `off` before (issue 13); per axis it takes 3 to 15; (2) the authors' code
// (google-research scaling_transformer_inference_efficiency, collectives.py) loops collective
// permutes along one mesh axis at a time. The loop has 2K chunks (bidirectional, halves of each
// shard going opposite ways); each chunk is an einsum op of its own and pays op_overhead_s on the
// compute path, while each chunk's transfer pays ici_message_overhead_s on the transfer path,
// where it overlaps the previous chunk's compute (the DMA is set up by the DMA engine while the
// MXU works).
Axis loop_axis(const TorusShape& shape, const AxisSet& axes);

// The closed-form times of the einsum with its collective on an idle slice, plain (collective,
// then einsum) and looped (plain part over the other axes, then the pipelined loop): what a
// compiler's cost model compares. Both include the fixed costs the lowering charges.
struct LoopedEstimate {
  Seconds plain_s = 0;
  Seconds looped_s = 0;
  bool loop_wins() const { return looped_s < plain_s; }
};
LoopedEstimate looped_estimate(const TorusShape& shape, LoopedKind kind, const CollectiveSpec& spec,
                               const EinsumWork& work, const ChipSpec& chip);

// Appends the loop on every chip after frontier[chip] and moves the frontier to its end. `spec` is
// the collective (its bytes: the all-gather's output or the reduce-scatter's input per chip); the
// fixed costs (collective launch, per-chunk op and per-message costs) are charged here.
// `order`: RingOrder::hamiltonian loops over one axis as above (its ring is one hop per step, so
// its sends carry their fold_source and the folded replay is exact for it, program/fold.hpp);
// RingOrder::snake keeps the first version's loop, one snake ring over every axis of `spec`, for
// comparison.
void append_looped_einsum(Program& program, const Torus& torus, LoopedKind kind,
                          const CollectiveSpec& spec, const EinsumWork& work, const ChipSpec& chip,
                          std::int32_t label, Frontier& frontier,
                          RingOrder order = RingOrder::hamiltonian);

}  // namespace podsim
