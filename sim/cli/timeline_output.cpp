#include "sim/cli/timeline_output.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/progress.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/replay/replay.hpp"
#include "sim/program/trace_program.hpp"

namespace podsim::cli {

namespace {

// A Perfetto trace above this size is announced before it is written even in a log: it takes
// seconds to write and to load.
constexpr double kSayPerfettoSizeBytes = 10e6;

std::string file_size_text(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? std::string("?") : format_bytes(static_cast<double>(size));
}

}  // namespace

void add_timeline_options(CLI::App* sub, TimelineArgs& args, bool run) {
  sub->add_option("--perfetto", args.perfetto,
                  "Write the timeline as Perfetto / Chrome trace JSON (ui.perfetto.dev, "
                  "chrome://tracing): a process per chip, MXU/HBM/ICI tracks, link counters")
      ->type_name("FILE");
  sub->add_flag("--perfetto-aggregate", args.aggregate,
                "In --perfetto, one slice per chip, collective step and direction instead of one "
                "per transfer (a much smaller file; no flow arrows)");
  sub->add_option("--html", args.html,
                  "Write a self-contained HTML report: headline, breakdown, link heat map, torus "
                  "view of link load with a time slider")
      ->type_name("FILE");
  sub->add_option("--timeline-chips", args.chips,
                  "Keep only these chips in the timeline outputs, e.g. 0-15,20")
      ->type_name("LIST");
  sub->add_option("--timeline-window", args.window,
                  "Keep only this simulated time window in the timeline outputs, e.g. 0:250us")
      ->type_name("START:END");
  sub->add_option("--timeline-max-events", args.max_events,
                  "Refuse a capture with more trace events than this (checked before simulating)")
      ->capture_default_str()
      ->type_name("N");
  if (run) {
    sub->add_option("--timeline-steps", args.steps,
                    "Trace steps to capture, A:B (default: the first step of each phase)")
        ->type_name("A:B");
    sub->add_option("--timeline-layers", args.layers,
                    "Simulated layer instances to keep among the captured steps, A:B")
        ->type_name("A:B");
  }
}

TimelineFilter timeline_filter(const TimelineArgs& args, int chip_count) {
  TimelineFilter filter;
  if (!args.chips.empty()) filter.chips = parse_chip_list(args.chips, chip_count, "--timeline-chips");
  if (!args.window.empty()) {
    const std::size_t colon = args.window.find(':');
    if (colon == std::string::npos)
      throw InputError("--timeline-window",
                       fmt::format("'{}' is not a window START:END (e.g. 0:250us)", args.window));
    const std::string a = args.window.substr(0, colon), b = args.window.substr(colon + 1);
    if (!a.empty()) filter.start_s = parse_seconds(a, "--timeline-window");
    if (!b.empty()) filter.end_s = parse_seconds(b, "--timeline-window");
    if (filter.end_s <= filter.start_s)
      throw InputError("--timeline-window", fmt::format("'{}': the end must come after the start",
                                                        args.window));
  }
  return filter;
}

void write_timeline_outputs(Timeline& timeline, const TimelineFilter& filter,
                            const TimelineArgs& args, const HtmlReport& report) {
  apply_filter(timeline, filter);
  const std::string cut = timeline.cuts.empty() ? "nothing cut" : fmt::format("cut: {}", fmt::join(timeline.cuts, "; "));
  if (!args.perfetto.empty()) {
    PerfettoOptions options;
    options.metadata = report.scenario;
    options.aggregate = args.aggregate;
    // Said before writing, where it helps: a large trace takes a while to write and to load in the
    // UI. Not for a small one in a log, whose stderr stays the one line of an error.
    const PerfettoSize size = perfetto_size(timeline, options);
    if (progress_wanted() || size.bytes > kSayPerfettoSizeBytes)
      std::cerr << fmt::format("writing {}: {} events on {} tracks, about {}{}\n", args.perfetto,
                             size.events, size.threads, format_bytes(size.bytes),
                             args.aggregate || size.bytes < 20e6
                                 ? ""
                                 : " (--perfetto-aggregate makes it smaller; --timeline-chips "
                                   "and --timeline-window cut it)");
    const std::size_t events = write_perfetto(timeline, args.perfetto, options);
    std::cerr << fmt::format("wrote {} ({} events, {}); timeline: {}; {}\n", args.perfetto, events,
                             file_size_text(args.perfetto), timeline.captured, cut);
  }
  if (!args.html.empty()) {
    write_html_report(timeline, report, args.html);
    std::cerr << fmt::format("wrote {} ({}); timeline: {}; {}\n", args.html,
                             file_size_text(args.html), timeline.captured, cut);
  }
}

TimelineCapture timeline_capture(const TimelineArgs& args, int chip_count) {
  TimelineCapture capture;
  capture.filter = timeline_filter(args, chip_count);
  capture.steps = args.steps;
  capture.layers = args.layers;
  capture.max_events = args.max_events;
  return capture;
}

}  // namespace podsim::cli

namespace podsim::cli {

ReplayOptions capture_options(const TimelineArgs& args) {
  ReplayOptions options;
  options.record_tasks = args.wanted();
  options.record_link_intervals = args.wanted();
  return options;
}

}  // namespace podsim::cli
