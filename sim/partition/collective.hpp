#pragma once
// What a collective is, independent of how it is simulated: the operation, the mesh axes it runs
// over, the per-chip size, and the algorithm. Trace ops carry a CollectiveSpec; the collective
// algorithms (algorithms.hpp) lower it to point-to-point transfers between chips.

#include <string>
#include <string_view>
#include <vector>

#include "sim/core/input_error.hpp"
#include "sim/core/units.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

enum class CollectiveKind { all_gather, reduce_scatter, all_reduce, all_to_all, permute };

// Per-axis algorithm. `automatic` = bidir_ring on a wrapped axis, line on a mesh axis.
enum class RingAlgorithm { automatic, bidir_ring, ring, line };

// MultiAxis (concurrent or sequential use of several axes) is the platform's: sim/model/chip_spec.hpp.

// The order of the chips of a ring over several axes (Looped CollectiveEinsum, the logits loop):
// `hamiltonian` is a cycle whose every step, the closing one included, is one hop on a slice whose
// axes wrap (looped_einsum.hpp); `snake` is the boustrophedon walk podsim used first, whose
// closing step over three axes takes two hops (kept for comparison).
enum class RingOrder { hamiltonian, snake };

struct CollectiveSpec {
  CollectiveKind kind = CollectiveKind::all_gather;
  AxisSet axes;
  // Per-chip size of the larger side, as in the paper: the all-gather's output, the
  // reduce-scatter's input, the all-reduce's and the all-to-all's buffer, the permute's buffer.
  Bytes bytes = 0;
  RingAlgorithm algorithm = RingAlgorithm::automatic;
  MultiAxis multi_axis = MultiAxis::concurrent;
  // Fixed cost of every message (ring step, permute, all-to-all chunk) before its payload leaves:
  // DMA set-up and synchronisation (ChipSpec::ici_message_overhead_s, platforms/README.md §7). Not part of
  // what the trace records: the lowering (trace_program.cpp) and `podsim collective` copy it from
  // the chip.
  Seconds message_overhead_s = 0;
  // Fixed cost of launching the collective (ChipSpec::collective_overhead_s), a delay on every
  // chip before its first message; copied from the chip like message_overhead_s.
  Seconds launch_overhead_s = 0;
};

std::string_view collective_kind_name(CollectiveKind kind);  // "all-gather", ...
std::string_view ring_algorithm_name(RingAlgorithm algorithm);  // "auto", "bidir-ring", ...
std::string_view multi_axis_name(MultiAxis multi_axis);  // "concurrent", "sequential"
std::string_view ring_order_name(RingOrder order);        // "hamiltonian", "snake"
RingOrder parse_ring_order(std::string_view text, const std::string& key,
                           const SourceLocation& where = {});
CollectiveKind parse_collective_kind(std::string_view text, const std::string& key,
                                     const SourceLocation& where = {});
RingAlgorithm parse_ring_algorithm(std::string_view text, const std::string& key,
                                   const SourceLocation& where = {});
MultiAxis parse_multi_axis(std::string_view text, const std::string& key,
                           const SourceLocation& where = {});
const std::vector<std::string>& collective_kind_names();
const std::vector<std::string>& ring_algorithm_names();

// Throws InputError when `spec` cannot run on `shape`: an axis of size 1, the unidirectional
// `ring` on a mesh axis, zero bytes, fewer bytes than chips to split over.
void validate_collective(const CollectiveSpec& spec, const TorusShape& shape,
                         const std::string& key = "collective", const SourceLocation& where = {});

// The algorithm actually used on `axis` (resolves `automatic`).
RingAlgorithm effective_algorithm(RingAlgorithm requested, const TorusShape& shape, Axis axis);

// HBM bytes moved per byte reduced by reduce-scatter: read both operands, write the sum. The
// addition itself is bf16 element-wise (1 add per 6 bytes moved), far below the chip's ridge
// point (275e12 / 1.2e12 = 229 flop/byte, platforms/README.md §1), so HBM bandwidth bounds it.
inline constexpr double kReduceHbmBytesPerByte = 3.0;

// The per-axis phases of a ring collective, in execution order: the axis and the per-chip larger
// size of that phase. Shared by the lowering (program/algorithms), the closed forms (analytic/collective_cost) and
// the teaching text, so that all describe the same algorithm.
struct RingPhase {
  Axis axis;
  Bytes larger_bytes;
  bool reduce;  // reduce-scatter phase (adds), else all-gather phase
};
// The parts of a ring collective (one for `sequential` or a single axis; one per axis for
// `concurrent`), each a list of phases.
std::vector<std::vector<RingPhase>> ring_collective_parts(const CollectiveSpec& spec,
                                                          const TorusShape& shape);

}  // namespace podsim
