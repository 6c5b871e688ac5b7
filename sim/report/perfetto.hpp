#pragma once
// Perfetto / Chrome Trace Event Format JSON of a Timeline (loads in ui.perfetto.dev and
// chrome://tracing). Timestamps in microseconds (the format's unit) with nanosecond decimals.
//
// Layout:
//   - one process per chip ("chip 5 (1,1,0)"), its threads the tracks MXU, HBM, ICI send and
//     ICI recv; overlapping tasks of one track (a bidirectional ring's two directions, the chunks
//     of an all-to-all) go to extra lanes ("ICI send #2"), so that the complete ("X") events of
//     one thread never overlap and their timestamps increase;
//   - per directed link leaving the chip, a counter track "link +x" (GB/s, and % of bandwidth);
//   - every transfer carries args (op, instance, step, peer, direction, bytes), and a flow arrow
//     ties each send to the receive that matches it;
//   - otherData holds the scenario, what was captured and what was cut.
// Events are written grouped by track and in time order within a track.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/report/timeline.hpp"

namespace podsim {

struct PerfettoOptions {
  bool flows = true;
  std::vector<std::pair<std::string, std::string>> metadata;  // shown under otherData
};

// Writes the trace to `path` and returns the number of events written. Throws InputError when
// the file cannot be written.
std::size_t write_perfetto(const Timeline& timeline, const std::string& path,
                           const PerfettoOptions& options = {});

}  // namespace podsim
