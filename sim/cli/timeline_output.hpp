#pragma once
// The timeline flags shared by `podsim run`, `podsim replay` and `podsim collective`:
// --perfetto FILE, --html FILE and the options that keep a large capture usable (a subset of
// chips, a time window, a window of steps and layers). Parsing and writing only: the capture is
// explore/trace_replay's, the report content report/html_content's.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "sim/explore/trace_replay.hpp"
#include "sim/program/replay_result.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/perfetto.hpp"
#include "sim/report/timeline.hpp"

namespace podsim::cli {

struct TimelineArgs {
  std::string perfetto;  // Perfetto / Chrome trace JSON file
  std::string html;      // self-contained HTML report
  std::string chips;     // "0-15,20": chips kept
  std::string window;    // "10us:2ms": time window kept
  std::string steps;     // run: trace steps captured ("A:B"); default the first of each phase
  std::string layers;    // run: layer instances kept ("A:B") among the captured steps
  long long max_events = kDefaultMaxTimelineEvents;
  bool aggregate = false;  // --perfetto-aggregate: one slice per chip, collective step, direction
  bool wanted() const { return !perfetto.empty() || !html.empty(); }
};

// Registers --perfetto, --html and the --timeline-* options; `run` adds --timeline-steps and
// --timeline-layers.
void add_timeline_options(CLI::App* sub, TimelineArgs& args, bool run);

// The filter of the chips and time window options, validated for a slice of `chip_count`.
TimelineFilter timeline_filter(const TimelineArgs& args, int chip_count);

// The capture of a run that the options ask for (explore/trace_replay's simulate_with_timeline).
TimelineCapture timeline_capture(const TimelineArgs& args, int chip_count);

// The replay options of a capture: records tasks and link intervals only when wanted.
ReplayOptions capture_options(const TimelineArgs& args);

// Applies the filter, writes the requested files and prints one line per file.
void write_timeline_outputs(Timeline& timeline, const TimelineFilter& filter,
                            const TimelineArgs& args, const HtmlReport& report);

}  // namespace podsim::cli
