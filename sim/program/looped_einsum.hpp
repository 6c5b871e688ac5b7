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

// The chips of each group of `axes`, each in ring order: a snake (boustrophedon) walk over the
// group's coordinates, so that consecutive chips are neighbours (one hop) and the last returns to
// the first over the wrap link where the axes wrap.
std::vector<std::vector<ChipId>> ring_groups(const Torus& torus, const AxisSet& axes);

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
void append_looped_einsum(Program& program, const Torus& torus, LoopedKind kind,
                          const CollectiveSpec& spec, const EinsumWork& work, const ChipSpec& chip,
                          std::int32_t label, Frontier& frontier);

}  // namespace podsim
