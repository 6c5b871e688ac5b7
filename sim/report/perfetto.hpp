#pragma once
// Perfetto / Chrome Trace Event Format JSON of a Timeline (loads in ui.perfetto.dev and
// chrome://tracing). Timestamps in microseconds (the format's unit) with nanosecond decimals.
//
// Layout:
//   - one process per chip ("chip 5 (1,1,0)"), its threads the tracks MXU, HBM, ICI send and
//     ICI recv; overlapping tasks of one track (a bidirectional ring's two directions, the chunks
//     of an all-to-all) go to extra lanes ("ICI send #2"), so that the complete ("X") events of
//     one thread never overlap and their timestamps increase. A lane is reused as soon as it is
//     free (the fewest lanes that hold the slices), and a receive's slice starts when its data
//     starts to flow (its matching send starts), not when it was posted (args.posted_us), so
//     that receives posted ahead of time do not each take a lane of their own;
//   - with `aggregate`, the transfers of one chip, track, op instance, collective step and
//     direction become one slice (args: transfers, bytes summed, peers), without flow arrows: a
//     trace of a whole decode step shrinks by the fan-out of its collectives;
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
  bool aggregate = false;  // one slice per chip, track, op instance, step and direction
  std::vector<std::pair<std::string, std::string>> metadata;  // shown under otherData
};

// What write_perfetto would write: its events, threads (tracks) and an estimate of its size.
struct PerfettoSize {
  std::size_t events = 0;
  std::size_t threads = 0;  // thread (track lane) names
  double bytes = 0;         // estimated: events x kPerfettoBytesPerEvent
};

// Bytes per event, measured on podsim's own traces: a PaLM 540B decode step on 4x4x4
// (scenarios/t2-low-latency-decode.yaml) 176 per transfer and aggregated, the PaLM 8B step of
// test/golden/outputs/timeline-palm-8b 143; an estimate within some 20%.
inline constexpr double kPerfettoBytesPerEvent = 175;

// The size of the trace of `timeline` (nothing written), to say it before writing.
PerfettoSize perfetto_size(const Timeline& timeline, const PerfettoOptions& options = {});

// Writes the trace to `path` and returns the number of events written. Throws InputError when
// the file cannot be written.
std::size_t write_perfetto(const Timeline& timeline, const std::string& path,
                           const PerfettoOptions& options = {});

}  // namespace podsim
