#pragma once
// Collective algorithms: each lowers a CollectiveSpec to point-to-point sends and receives
// between chips (plus the HBM traffic of reduce-scatter's additions), appended to a Program.
// The collective runs SPMD on every group of the slice at once (e.g. an all-gather over x runs on
// every x-ring). Nothing here knows SimGrid: the replay executes the Program.
//
// Per axis (one ring of K chips, per-chip larger size S, shard S/K):
//   bidir-ring  wrapped axis: half of every shard goes each way, K-1 steps of S/(2K) per direction.
//   ring        wrapped axis, one direction (the classic MPI ring): K-1 steps of S/K.
//   line        mesh axis: chains both ways, K-1 pipelined steps of S/K on the busiest link.
// Several axes: `sequential` runs one axis after the other; `concurrent` splits the data into one
// part per axis, part j visiting the axes in an order rotated by j, so every axis works in every
// phase (platforms/README.md §4, "several axes at once").
// all-reduce = reduce-scatter, then all-gather over the axes in reverse order.
// all-to-all: every chip sends S/K to every other chip of its group along its dimension-order
// route, all at once. permute: every chip sends S to the next chip of its group (x fastest,
// cyclically), the building block of Looped CollectiveEinsum.

#include "sim/partition/collective.hpp"
#include "sim/program/program.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

// Appends `spec` to `program`. On every chip, the collective starts after start[chip] (kNoTask =
// at once) and its launch cost (spec.launch_overhead_s, a delay) and the returned frontier holds the chip's last task (a join of all its sends and
// receives). Channels are taken from program.allocate_channels(). `label` tags every task.
// Requires validate_collective(spec, torus.shape()) to have passed.
Frontier append_collective(Program& program, const Torus& torus, const CollectiveSpec& spec,
                           const Frontier& start, std::int32_t label);

// Appends `send` after `after`, preceded by a delay of `overhead_s` when it is positive: the
// fixed cost of one ICI message (DMA set-up, synchronisation; ChipSpec::ici_message_overhead_s),
// paid before the payload leaves, on top of the route's hop latency. Returns the send.
TaskId add_message(ChipProgram& chip, Task send, TaskId after, Seconds overhead_s,
                   TaskId also_after = kNoTask);

// The chips of each group of `axes` (chips sharing every coordinate outside `axes`), each group
// in increasing id order (x fastest), groups ordered by their first chip.
std::vector<std::vector<ChipId>> groups_of(const Torus& torus, const AxisSet& axes);

}  // namespace podsim
