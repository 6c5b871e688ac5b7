#pragma once
// Program: what every chip does, as a task graph per chip. It is the common language between the
// pure-C++ side (collective algorithms, trace lowering) and the SimGrid replay, which executes it
// with one actor per chip. Tasks:
//   send    - `bytes` to chip `peer` along the dimension-order route (`hops` links); it starts
//             `hops` x hop latency after its dependencies are done (cut-through latency first,
//             then the payload at the bandwidth the links share max-min fairly);
//   recv    - the matching message from chip `peer`; posted when the program starts (the sender
//             writes into a pre-allocated buffer, as ICI DMA does), done when the data is in;
//   compute - `flops` on the chip's MXU;
//   hbm     - `bytes` of HBM traffic;
//   join    - nothing: a point where several dependencies meet;
//   delay   - `delay_s` of fixed cost (op launch, synchronisation) that occupies no resource.
// Sends and receives of one `channel` between one pair of chips match in FIFO order, so every
// algorithm keeps, per channel and pair, the receiver's order equal to the sender's.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/units.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

enum class TaskKind : std::uint8_t { send, recv, compute, hbm, join, delay };

using TaskId = std::int32_t;
inline constexpr TaskId kNoTask = -1;

struct Task {
  TaskKind kind = TaskKind::join;
  ChipId peer = -1;      // send: destination; recv: source
  std::int32_t channel = 0;
  std::int32_t hops = 0;  // send: links on the route
  std::int32_t label = -1;  // index into Program::labels (op and step, for timelines), -1 = none
  // Send on a one-hop ring whose steps are link-disjoint (looped_einsum.hpp): the chip whose send
  // to this chip it stands for in the folded replay (its ring neighbour on the other side); a
  // receive of such a ring: its peer. -1 = a translation-invariant send or receive (a send stands
  // for the send of chip -peer, program/fold.hpp).
  ChipId fold_source = -1;
  Bytes bytes = 0;        // send/recv payload; hbm traffic
  Flops flops = 0;        // compute
  Seconds delay_s = 0;    // delay
  // delay: instead of delay_s, the duration the replay measured for memo_spans[memo] of this
  // chip (a memoised op, trace_program.hpp); -1 = delay_s.
  std::int32_t memo = -1;
  std::vector<TaskId> successors;
  std::int32_t dependencies = 0;  // number of tasks that must finish before this one starts
};

struct ChipProgram {
  std::vector<Task> tasks;
  // Tasks whose finish time the replay reports (ReplayResult::mark_s), e.g. layer boundaries.
  // Every chip of an SPMD program has the same number of marks, in the same order.
  std::vector<TaskId> marks;
  // Ops simulated once and replayed as delays after (trace_program.hpp, lower_trace's memoise):
  // each span runs from the finish of `begin` (kNoTask: time 0) to the finish of `end`.
  struct MemoSpan {
    TaskId begin = kNoTask;
    TaskId end = kNoTask;
  };
  std::vector<MemoSpan> memo_spans;

  // Appends `task` and makes it depend on `after` (ignored when kNoTask). Returns its id.
  TaskId add(Task task, TaskId after = kNoTask);
  // `after` must finish before `task` starts.
  void depend(TaskId after, TaskId task);
  // A join that depends on every task in `tasks` (kNoTask entries are skipped).
  TaskId join(const std::vector<TaskId>& tasks);
};

struct Program {
  std::vector<ChipProgram> chips;
  std::vector<std::string> labels;  // task labels, shared by all chips
  std::int32_t next_channel = 0;    // channels in use are [0, next_channel)
  // Which chips are lowered: empty = every chip; else a flag per chip. The lowerings skip the
  // others, whose ChipProgram stays empty (and their frontier entries kNoTask). The folded
  // replay (fold.hpp) lowers only the representative, chip 0, and a few witnesses.
  std::vector<char> lowered;
  // All-to-all peers in the order of their offsets from the chip rather than by id (algorithms.cpp):
  // set by Program::subset, for the fold's translation check.
  bool relative_order = false;

  explicit Program(int chip_count) : chips(chip_count) {}
  // A program of `chip_count` chips of which only `chips` are lowered (chip 0 among them).
  static Program subset(int chip_count, const std::vector<ChipId>& chips);
  bool lowers(ChipId chip) const { return lowered.empty() || lowered[chip] != 0; }
  std::int32_t add_label(std::string label);
  // Reserves `count` fresh channels and returns the first.
  std::int32_t allocate_channels(std::int32_t count);
  std::size_t task_count() const;
};

// Per chip, the task after which the next piece of work may start (kNoTask = at once).
using Frontier = std::vector<TaskId>;

}  // namespace podsim
