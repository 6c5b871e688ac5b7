#pragma once
// Replay: executes a Program on a SimGrid model of the slice (one actor per chip) and returns what
// happened. This header is SimGrid-free so that the CLI and tests can call it without the
// SimGrid headers; all SimGrid calls live in the .cpp files of sim/replay/.
//
// The simulated slice: one host per chip whose speed is the MXU peak, its HBM as a disk read at
// HBM bandwidth, and one link per direction of every ICI link (none across the edge of a mesh
// axis), routed in dimension order. The network model is set up so that an uncontended transfer
// takes exactly hops x hop latency + bytes / link bandwidth, and concurrent flows share a link
// max-min fairly (FACTS.md §6: CM02 without cross-traffic or TCP window, zero-latency links, the
// hop latency added by the sending actor).
//
// SimGrid keeps global state: call replay() at most once per process.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/collective/program.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

struct ReplayOptions {
  bool record_tasks = false;  // keep the start and end of every task (timelines)
  // Keep every ICI link's utilisation intervals (ReplayResult::link_intervals). Off by default:
  // the default path then allocates nothing per time advance.
  bool record_link_intervals = false;
};

// One directed ICI link carried `bytes_per_s` (the sum of its flows' rates) from start_s to end_s.
// Exact: SimGrid's link usage at every time advance, consecutive advances at the same rate merged.
// Intervals with no traffic are not recorded.
struct LinkInterval {
  LinkId link = 0;
  Seconds start_s = 0;
  Seconds end_s = 0;
  double bytes_per_s = 0;
};

struct LinkStats {
  LinkId link = 0;
  double bytes = 0;    // integral of the link's usage over time
  Seconds busy_s = 0;  // time during which the link carried anything
  double peak_bytes_per_s = 0;
};

struct TaskRecord {
  ChipId chip = 0;
  TaskId task = 0;
  Seconds start_s = 0;
  Seconds end_s = 0;
};

struct ReplayResult {
  Seconds makespan_s = 0;             // when the last chip finished
  std::vector<Seconds> chip_end_s;    // per chip
  std::vector<LinkStats> links;       // every existing directed link, in LinkId order
  double total_link_bytes = 0;        // sum of links[].bytes
  std::uint64_t transfers = 0;        // point-to-point messages simulated
  std::vector<TaskRecord> tasks;      // when options.record_tasks
  // When options.record_link_intervals: per link (LinkId order), its intervals in time order.
  std::vector<LinkInterval> link_intervals;
  // For each mark index i, the latest finish time over the chips of chips[c].marks[i].
  std::vector<Seconds> mark_s;
};

ReplayResult replay(const ChipSpec& chip, const Torus& torus, const Program& program,
                    const ReplayOptions& options = {});

}  // namespace podsim
