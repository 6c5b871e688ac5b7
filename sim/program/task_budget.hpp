#pragma once
// Limits: a simulation that would need more memory than the machine has is refused up front, with
// what it would need, instead of being killed by the kernel half-way (issue 7, item 8).
//
// The estimate counts the tasks of the lowered program (program.hpp): the program and the
// replay's state for it grow with the task count, and everything else of a run is small beside
// them on large slices. A run's count lowers one instance of each distinct layer and multiplies
// by the instances simulated; a lone collective uses an upper bound computed from the algorithms
// (algorithms.hpp). Tests compare both with Program::task_count() of real lowerings. Pure C++
// (no SimGrid): it sits in sim/program/ beside the lowering whose tasks it counts.

#include <cstdint>
#include <optional>
#include <string>

#include "sim/partition/collective.hpp"
#include "sim/program/fold.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// Peak resident bytes of a replay = base + per chip + per task, fitted (rounded up) to
// /usr/bin/time -v peaks of Release builds (README, "Robustness"):
//   podsim collective 16x16x16 all-gather over x, 250k tasks        171 MiB (model 208 MiB)
//   podsim collective 8x8x8 all-to-all over xyz, 524k tasks          753 MiB (model 824 MiB)
//   podsim collective 4x4x4 all-to-all over xyz, 8k tasks             49 MiB (model  77 MiB)
//   podsim run --exact scenarios/palm-8b-8chips.yaml, 636k tasks     133 MiB (model 186 MiB)
//   podsim run --exact scenarios/t2-low-latency-prefill.yaml, 2.3M   391 MiB (model 502 MiB)
// All-to-all tasks cost more: all its transfers are in flight at once, each a SimGrid activity
// on a multi-hop route.
inline constexpr double kReplayBytesPerTask = 200;
inline constexpr double kAllToAllBytesPerTask = 1500;
// The simulated platform: a host, six links and their routes, an actor and mailboxes per chip.
inline constexpr double kReplayBytesPerChip = 24 << 10;
// SimGrid, the libraries and the process itself.
inline constexpr Bytes kReplayBaseBytes = 64LL << 20;

// Every SimGrid actor has a stack of its own, allocated when the actor is created
// (posix_memalign of contexts/stack-size plus contexts/guard-size, SimGrid 3.32
// src/kernel/context/ContextSwapped.cpp): replay.cpp sets the size; the guard is SimGrid's
// default of one page. Its pages are mapped but barely touched, so they count against an
// address-space limit (`ulimit -v`) but not as resident memory: under `ulimit -v 100000` the
// folded all-to-all of 8x8x8 (511 sink actors, 68 MiB of stacks) aborted inside SimGrid with
// "Failed to allocate stack" while its resident estimate fitted.
inline constexpr int kActorStackKiB = 128;
// Per actor: the stack, its guard page, posix_memalign's page alignment and malloc's chunk header
// (measured with strace on the 8x8x8 folded all-to-all: 512 actors, 512 mmaps of 143360 bytes,
// 140 KiB each).
inline constexpr double kActorAddressSpaceBytes = (kActorStackKiB + 12) * 1024.0;

struct MemoryNeed {
  double tasks = 0;  // double: counts of absurd requests may exceed 2^63
  double bytes = 0;  // resident
  double actors = 0;  // SimGrid actors of the largest simulation, each with its stack
  // Address space the simulation maps: its resident bytes and its actors' stacks.
  double address_space_bytes() const { return bytes + actors * kActorAddressSpaceBytes; }
};

// Tasks of one collective on every chip of `shape` (an upper bound; exact for rings and
// all-to-all without zero-byte messages).
double collective_task_bound(const CollectiveSpec& spec, const TorusShape& shape);

// The folded replay (fold.hpp) keeps per chip only its end time and per link its statistics
// (a few doubles each); rounded up.
inline constexpr double kFoldedBytesPerChip = 1 << 10;

// The largest simulation a run of `trace` performs in one process: every layer of every step when
// `exact`, else (fast path, trace_replay.hpp) the first round: the non-decode steps and up to
// three decode steps, each repeated layer simulated kSampledRepeats times. Where `mode` allows
// the fold and it applies (every distinct layer is translation invariant, fold.hpp), the need of
// the folded replay: the representative's tasks.
MemoryNeed replay_memory_need(const Trace& trace, bool exact,
                              ReplayMode mode = process_replay_mode());
// The need of the folded replay of `trace` (fold.hpp's check_trace_fold, as the plan makes it),
// or nullopt when `mode` would replay every chip.
std::optional<MemoryNeed> folded_replay_memory_need(const Trace& trace, bool exact,
                                                    ReplayMode mode = ReplayMode::automatic);
// A per-chip replay of one collective (before lowering it).
MemoryNeed collective_memory_need(const CollectiveSpec& spec, const TorusShape& shape);
// The same for the replay `mode` asks for: folded where it applies (the representative's tasks).
MemoryNeed collective_memory_need(const CollectiveSpec& spec, const TorusShape& shape,
                                  ReplayMode mode);

// Throws InputError (`where`: memory: ...) when `need` exceeds the available memory, saying how
// much it would take and what to change. `what` names the simulation ("toy prefill on 2x2x2").
// The available memory is env.hpp's available_memory_bytes(); does nothing when it is unknown.
// Under an address-space limit (`ulimit -v`), also when the address space of the simulation
// (need.address_space_bytes()) and what is mapped already exceed it: the message then says which
// `ulimit -v` would do.
void check_memory_available(const MemoryNeed& need, const std::string& what,
                            const SourceLocation& where = {});

}  // namespace podsim
