#pragma once
// What a replay of a Program produced: the options of a replay and its result (per-chip ends,
// link statistics, optional task records and link intervals, mark times). Plain data, filled by
// sim/replay/ (the only SimGrid user) and read by sim/report/ and the studies of sim/explore/.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/program/program.hpp"
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

}  // namespace podsim
