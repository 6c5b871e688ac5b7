#pragma once
// Looped CollectiveEinsum (Wang et al., ASPLOS 2023; used by Pope et al. §3.5): an all-gather
// feeding an einsum, or an einsum feeding a reduce-scatter, becomes a loop over the K chips of the
// collective's group in which each chunk's matmul overlaps the collective permute of the next
// chunk. Bidirectional: every shard (or partial sum) is cut in halves that travel opposite ways
// round the group's ring for K-1 steps, so every chip sends and receives exactly the bytes of the
// plain collective, (K-1)/K of its larger side. Pure C++: appends tasks to a Program.

#include <string>

#include "sim/program/program.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/workload/op_cost.hpp"

namespace podsim {

// The chips of each group of `axes`, each in ring order: a snake (boustrophedon) walk over the
// group's coordinates, so that consecutive chips are neighbours (one hop) and the last returns to
// the first over the wrap link where the axes wrap.
std::vector<std::vector<ChipId>> ring_groups(const Torus& torus, const AxisSet& axes);

enum class LoopedKind { all_gather_then_einsum, einsum_then_reduce_scatter };

// Appends the loop on every chip after frontier[chip] and moves the frontier to its end. `spec` is
// the collective (its bytes: the all-gather's output or the reduce-scatter's input per chip).
void append_looped_einsum(Program& program, const Torus& torus, LoopedKind kind,
                          const CollectiveSpec& spec, const EinsumWork& work, const ChipSpec& chip,
                          std::int32_t label, Frontier& frontier);

}  // namespace podsim
