#pragma once
// Timeline: what every chip did and what every directed ICI link carried over simulated time,
// from one replay run with ReplayOptions{record_tasks, record_link_intervals} (sim/README.md §1:
// replay -> Timeline -> report). Pure C++: it reads program/replay_result.hpp, never the replay itself.
//
// Each recorded task (joins dropped) becomes a TimelineTask on one of four tracks (MXU, HBM,
// ICI send, ICI receive) and is tagged with:
//   - its label (op, layer, collective) from Program::labels;
//   - its op instance: the n-th run of consecutive tasks with one label on its chip (a mark
//     also ends a run), the same n on every chip of an SPMD program;
//   - its section: the index of the first mark at or after it (trace lowering puts a mark at the
//     end of every layer instance and at every step boundary), named by the caller;
//   - for transfers, its step: the 1-based ordinal among the instance's transfers of the same
//     channel between the same two chips (step s of a ring; every all-to-all chunk is step 1),
//     the direction of the link it leaves (send) or arrives by (receive), and a flow id shared by
//     a send and the receive that matches it (FIFO per channel and pair, as the replay matches).
// Link intervals are exactly the replay's (rate at every time advance), never resampled here.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/program/program.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/program/replay_result.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

enum class Track : std::uint8_t { mxu = 0, hbm = 1, ici_send = 2, ici_recv = 3 };
inline constexpr int kTracks = 4;
const char* track_name(Track track);  // "MXU", "HBM", "ICI send", "ICI recv"

struct TimelineTask {
  ChipId chip = 0;
  Track track = Track::mxu;
  Seconds start_s = 0;  // send: when it was ready (the hop latency runs first); recv: when posted
  Seconds end_s = 0;
  std::int32_t label = -1;
  std::int32_t instance = 0;
  std::int32_t section = -1;  // -1: after the last mark (or the program has none)
  std::int32_t step = 0;      // transfers only, 1-based
  std::int32_t channel = 0;
  ChipId peer = -1;           // send: destination; recv: source
  Direction direction = Direction::px;
  Bytes bytes = 0;            // transfers and HBM
  Flops flops = 0;            // MXU
  std::int64_t flow = -1;     // transfers: shared by a send and its matching receive
};

struct OpInstance {
  std::int32_t label = -1;
  std::int32_t section = -1;
  Seconds start_s = 0;  // earliest start and latest end over all chips
  Seconds end_s = 0;
};

struct Timeline {
  TorusShape shape;
  BytesPerSecond link_bytes_per_s = 0;  // effective: peak x ici_efficiency, as the replay's links
  Seconds hop_latency_s = 0;
  Seconds makespan_s = 0;
  std::vector<std::string> labels;
  std::vector<std::string> section_names;  // by section index; may be empty
  std::vector<OpInstance> instances;
  std::vector<TimelineTask> tasks;          // by chip, then start time
  std::vector<LinkInterval> link_intervals; // by link, then time
  std::vector<ChipId> chips;                // chips kept (all, unless filtered)
  std::string captured;                     // what simulation the timeline comes from
  std::vector<std::string> cuts;            // what filters removed, for the outputs' notes

  std::string instance_name(std::int32_t instance) const;  // "section: label" or "label"
};

// Builds the timeline of `result`, which must come from replay(chip, torus, program, options)
// with record_tasks and record_link_intervals. `section_names[i]` names what ends at mark i.
Timeline build_timeline(const Program& program, const Torus& torus, const ChipSpec& chip,
                        const ReplayResult& result, std::string captured,
                        std::vector<std::string> section_names = {});

// What to keep of a timeline (sim/README.md: large runs stay usable).
struct TimelineFilter {
  std::vector<ChipId> chips;  // empty: every chip
  Seconds start_s = 0;        // time window; tasks overlapping it are kept whole, link intervals
  Seconds end_s = std::numeric_limits<double>::infinity();  // are clipped to it
  std::int32_t first_section = 0;  // sections kept (inclusive); -1 = to the end
  std::int32_t last_section = -1;
  bool empty() const;
};

// Parses a chip list "0-15,20,31" (ids, x-fastest) for a slice of `chip_count` chips. Throws
// InputError naming `key`.
std::vector<ChipId> parse_chip_list(const std::string& text, int chip_count,
                                    const std::string& key);
// Parses "A:B" (inclusive integers, either side may be empty). Throws InputError naming `key`.
std::pair<std::int32_t, std::int32_t> parse_index_range(const std::string& text,
                                                        const std::string& key);

// Applies `filter` and records in timeline.cuts what it removed.
void apply_filter(Timeline& timeline, const TimelineFilter& filter);

// Per link slot (LinkId), the integral of its utilisation intervals: the bytes it carried.
std::vector<double> link_bytes(const Timeline& timeline);
// The link that carried the most bytes (-1 when none carried anything).
LinkId most_loaded_link(const Timeline& timeline);

// Upper bound on the trace events a timeline of `program` will have (tasks + flows) for the
// chips of `filter`, before any simulation: for refusing a capture that would be too large.
std::size_t estimated_timeline_events(const Program& program, const TimelineFilter& filter);

}  // namespace podsim
