#pragma once
// The timeline outputs shared by `podsim run`, `podsim replay` and `podsim collective`:
// --perfetto FILE, --html FILE and the options that keep a large capture usable (a subset of
// chips, a time window, a window of steps and layers), with a size guard checked before any
// simulation.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "sim/program/program.hpp"
#include "sim/partition/collective.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/replay/replay.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/perfetto.hpp"
#include "sim/report/run_metrics.hpp"
#include "sim/report/timeline.hpp"
#include "sim/workload/trace.hpp"

namespace podsim::cli {

// A capture above this many trace events (~150 bytes each in the Perfetto file) is refused up
// front unless --timeline-max-events raises it.
inline constexpr long long kDefaultMaxTimelineEvents = 1'500'000;

struct TimelineArgs {
  std::string perfetto;  // Perfetto / Chrome trace JSON file
  std::string html;      // self-contained HTML report
  std::string chips;     // "0-15,20": chips kept
  std::string window;    // "10us:2ms": time window kept
  std::string steps;     // run: trace steps captured ("A:B"); default the first of each phase
  std::string layers;    // run: layer instances kept ("A:B") among the captured steps
  long long max_events = kDefaultMaxTimelineEvents;
  bool wanted() const { return !perfetto.empty() || !html.empty(); }
};

// Registers --perfetto, --html and the --timeline-* options; `run` adds --timeline-steps and
// --timeline-layers.
void add_timeline_options(CLI::App* sub, TimelineArgs& args, bool run);

// The filter of the chips and time window options, validated for a slice of `chip_count`.
TimelineFilter timeline_filter(const TimelineArgs& args, int chip_count);

// Throws InputError when a capture of `program` would exceed --timeline-max-events.
void check_capture_size(const Program& program, const TimelineFilter& filter,
                        const TimelineArgs& args, const std::string& what);

// Applies the filter, writes the requested files and prints one line per file.
void write_timeline_outputs(Timeline& timeline, const TimelineFilter& filter,
                            const TimelineArgs& args, const HtmlReport& report);

// `podsim run` / `replay` with a timeline: the step times of the trace (as simulate_trace) and
// the captured timeline, from an in-process simulation (exact: the one simulation of the whole
// trace; fast: the metrics from simulate_trace's forked rounds, then the captured steps simulated
// in this process). Without --perfetto/--html, exactly simulate_trace.
TraceTiming simulate_with_timeline(const Trace& trace, const TimelineArgs& args,
                                   std::optional<Timeline>& timeline);

// Writes the run's timeline outputs (scenario, headline numbers and breakdown from the metrics).
void write_run_timeline(const Trace& trace, const RunMetrics& metrics, Timeline& timeline,
                        const TimelineArgs& args);

}  // namespace podsim::cli

namespace podsim::cli {

// The replay options of a capture: records tasks and link intervals only when wanted.
ReplayOptions capture_options(const TimelineArgs& args);

// `podsim collective` / `podsim explain`: the timeline of one collective `program` replayed with
// capture_options(), and the report of its headline numbers. `steps` (teaching mode) and `text`
// are added to the HTML page.
Timeline collective_timeline(const Program& program, const Torus& torus, const ChipSpec& chip,
                             const CollectiveSpec& spec, const ReplayResult& result);
HtmlReport collective_report(const Timeline& timeline, const CollectiveSpec& spec,
                             const Platform& platform, const ReplayResult& result);

}  // namespace podsim::cli
