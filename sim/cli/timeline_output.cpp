#include "sim/cli/timeline_output.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "sim/analytic/collective_cost.hpp"
#include "sim/cli/cli_common.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/replay/replay.hpp"
#include "sim/program/trace_program.hpp"

namespace podsim::cli {

namespace {

std::string file_size_text(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? std::string("?") : format_bytes(static_cast<double>(size));
}

}  // namespace

void add_timeline_options(CLI::App* sub, TimelineArgs& args, bool run) {
  sub->add_option("--perfetto", args.perfetto,
                  "Write the timeline as Perfetto / Chrome trace JSON (ui.perfetto.dev, "
                  "chrome://tracing): a process per chip, MXU/HBM/ICI tracks, link counters");
  sub->add_option("--html", args.html,
                  "Write a self-contained HTML report: headline, breakdown, link heat map, torus "
                  "view of link load with a time slider");
  sub->add_option("--timeline-chips", args.chips,
                  "Keep only these chips in the timeline outputs, e.g. 0-15,20");
  sub->add_option("--timeline-window", args.window,
                  "Keep only this simulated time window in the timeline outputs, e.g. 0:250us");
  sub->add_option("--timeline-max-events", args.max_events,
                  "Refuse a capture with more trace events than this (checked before simulating)")
      ->capture_default_str();
  if (run) {
    sub->add_option("--timeline-steps", args.steps,
                    "Trace steps to capture, A:B (default: the first step of each phase)");
    sub->add_option("--timeline-layers", args.layers,
                    "Simulated layer instances to keep among the captured steps, A:B");
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

void check_capture_size(const Program& program, const TimelineFilter& filter,
                        const TimelineArgs& args, const std::string& what) {
  const std::size_t events = estimated_timeline_events(program, filter);
  if (static_cast<long long>(events) <= args.max_events) return;
  throw InputError(
      "--timeline-max-events",
      fmt::format("the timeline of {} would have about {} events (~{} of Perfetto JSON), above "
                  "the limit of {}: keep fewer chips (--timeline-chips 0-63){}, or raise "
                  "--timeline-max-events",
                  what, events, format_bytes(150.0 * static_cast<double>(events)), args.max_events,
                  args.steps.empty() && args.layers.empty() ? "" : ", fewer steps"));
}

void write_timeline_outputs(Timeline& timeline, const TimelineFilter& filter,
                            const TimelineArgs& args, const HtmlReport& report) {
  apply_filter(timeline, filter);
  const std::string cut = timeline.cuts.empty() ? "nothing cut" : fmt::format("cut: {}", fmt::join(timeline.cuts, "; "));
  if (!args.perfetto.empty()) {
    PerfettoOptions options;
    options.metadata = report.scenario;
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

namespace {

// Names of the marks of a lowered subset of the trace: what ends at each mark.
std::vector<std::string> section_names(const Trace& trace, const std::vector<std::size_t>& steps,
                                       const LoweredTrace& lowered,
                                       std::vector<std::int32_t>* layer_sections) {
  std::vector<std::string> names(lowered.program.chips[0].marks.size());
  for (std::size_t i = 0; i < lowered.steps.size(); ++i) {
    const StepMarks& sm = lowered.steps[i];
    const StepTrace& step = trace.steps[steps[i]];
    if (sm.start >= 0) names[sm.start] = fmt::format("step {} start", steps[i]);
    for (std::size_t l = 0; l < sm.layers.size(); ++l)
      for (std::size_t r = 0; r < sm.layers[l].ends.size(); ++r) {
        const int m = sm.layers[l].ends[r];
        names[m] = sm.layers[l].repeat > 1
                       ? fmt::format("step {} ({}) {} {}/{}", steps[i], phase_name(step.phase),
                                     step.layers[l].name, r + 1, sm.layers[l].repeat)
                       : fmt::format("step {} ({}) {}", steps[i], phase_name(step.phase), step.layers[l].name);
        layer_sections->push_back(m);
      }
  }
  return names;
}

}  // namespace

TraceTiming simulate_with_timeline(const Trace& trace, const TimelineArgs& args,
                                   std::optional<Timeline>& timeline) {
  const bool exact = trace.scenario.exact;
  if (!args.wanted()) return simulate_trace(trace, exact);
  const Torus torus(trace.scenario.shape);
  const TimelineFilter filter = timeline_filter(args, torus.chip_count());

  // The steps to capture: all (exact), or --timeline-steps, or the first step of each phase.
  std::vector<std::size_t> steps;
  if (!args.steps.empty()) {
    auto [a, b] = parse_index_range(args.steps, "--timeline-steps");
    const auto n = static_cast<std::int32_t>(trace.steps.size());
    if (b < 0 || b >= n) b = n - 1;
    if (a >= n)
      throw InputError("--timeline-steps",
                       fmt::format("'{}': the trace has steps 0 to {}", args.steps, n - 1));
    for (std::int32_t i = a; i <= b; ++i) steps.push_back(static_cast<std::size_t>(i));
  } else {
    for (std::size_t i = 0; i < trace.steps.size(); ++i)
      if (exact || i == 0 || trace.steps[i].phase != trace.steps[i - 1].phase) steps.push_back(i);
  }
  const bool whole = exact && steps.size() == trace.steps.size();
  Trace subset{trace.scenario, trace.memory, {}};
  for (std::size_t i : steps) subset.steps.push_back(trace.steps[i]);
  const LoweredTrace lowered = lower_trace(subset, torus, exact);  // validates: may throw
  check_capture_size(lowered.program, filter, args, trace.scenario.name);

  // The metrics: from the captured simulation itself when it is the whole exact trace, else from
  // simulate_trace (forked rounds on the fast path; an exact run of its own otherwise).
  TraceTiming timing;
  if (!whole) {
    if (exact)
      throw InputError("--timeline-steps",
                       "with --exact the timeline is the exact simulation itself: capture every "
                       "step (leave --timeline-steps out) and cut with --timeline-layers");
    timing = simulate_trace(trace, false);
  }
  ReplayOptions options;
  options.record_tasks = true;
  options.record_link_intervals = true;
  const ReplayResult result = replay(trace.scenario.platform.chip, torus, lowered.program, options);
  if (whole) {
    timing.step_s.clear();
    for (const StepTiming& t : step_timings(lowered, result.mark_s)) timing.step_s.push_back(t.duration_s);
    timing.transfers = result.transfers;
    timing.simulated_steps = static_cast<int>(steps.size());
    timing.path = "exact (every layer of every step simulated)";
  }

  std::string step_list;
  for (std::size_t i = 0; i < steps.size() && i < 8; ++i)
    step_list += fmt::format("{}{} ({})", i ? ", " : "", steps[i], phase_name(trace.steps[steps[i]].phase));
  if (steps.size() > 8) step_list += fmt::format(", ... ({} steps)", steps.size());
  int sampled = 0, repeats = 0;
  for (const StepMarks& sm : lowered.steps)
    for (const LayerMarks& lm : sm.layers)
      if (lm.repeat > 1) {
        sampled = lm.simulated;
        repeats = lm.repeat;
      }
  const std::string captured = fmt::format(
      "in-process simulation of trace step{} {} of {}{}", steps.size() == 1 ? "" : "s", step_list,
      trace.steps.size(),
      whole ? ", every layer (the exact run the metrics come from)"
            : repeats > 0 ? fmt::format(", each repeated layer simulated {} of {} times as on the "
                                        "fast path (the metrics come from the fast path)",
                                        sampled, repeats)
                          : std::string());
  std::vector<std::int32_t> layer_sections;
  std::vector<std::string> names = section_names(trace, steps, lowered, &layer_sections);
  timeline = build_timeline(lowered.program, torus, trace.scenario.platform.chip, result, captured,
                            std::move(names));
  if (!args.layers.empty()) {
    auto [a, b] = parse_index_range(args.layers, "--timeline-layers");
    const auto n = static_cast<std::int32_t>(layer_sections.size());
    if (a >= n)
      throw InputError("--timeline-layers", fmt::format("'{}': the capture has layer instances 0 "
                                                        "to {}", args.layers, n - 1));
    if (b < 0 || b >= n) b = n - 1;
    // Sections are mark indices; keep from just after the mark before layer a.
    TimelineFilter layers;
    layers.first_section = a == 0 ? 0 : layer_sections[a - 1] + 1;
    layers.last_section = layer_sections[b];
    apply_filter(*timeline, layers);
    timeline->cuts.back() = fmt::format("kept layer instances {} to {} of the {} captured ({})",
                                        a, b, n, timeline->cuts.back());
  }
  return timing;
}

void write_run_timeline(const Trace& trace, const RunMetrics& metrics, Timeline& timeline,
                        const TimelineArgs& args) {
  const Scenario& s = trace.scenario;
  HtmlReport report;
  report.title = fmt::format("podsim run: {}", s.name);
  const nlohmann::json doc = metrics_json(trace, metrics);
  for (const auto& [key, value] : doc["scenario"].items())
    if (!value.is_object() && !value.is_array())
      report.scenario.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  const auto ms = [](Seconds t) { return format_seconds(t, TimeUnit::ms); };
  if (metrics.prefill_s > 0)
    report.headline.emplace_back("prefill latency", fmt::format("{} (MFU {:.1f}%)", ms(metrics.prefill_s),
                                                                100 * metrics.prefill_mfu));
  if (!metrics.decode_steps_s.empty()) {
    report.headline.emplace_back("decode step", ms(metrics.decode_step_s));
    report.headline.emplace_back("decode total", fmt::format("{} (MFU {:.1f}%)", ms(metrics.decode_s),
                                                             100 * metrics.decode_mfu));
  }
  report.headline.emplace_back("total latency",
                               fmt::format("{} (MFU {:.1f}%)", ms(metrics.total_s), 100 * metrics.mfu));
  report.headline.emplace_back("cost", fmt::format("{:.4g} chip-ms per token",
                                                   1e3 * metrics.cost_chip_s_per_token));
  report.headline.emplace_back(
      "memory per chip",
      fmt::format("{} of {} HBM{}", format_bytes(static_cast<double>(metrics.memory.total_bytes())),
                  format_bytes(static_cast<double>(metrics.memory.hbm_bytes)),
                  metrics.memory.fits ? "" : " (does not fit: simulated anyway)"));
  report.headline.emplace_back("simulation path", metrics.path);
  const Breakdown& b = metrics.breakdown;
  report.breakdown_title = "Breakdown of the whole run";
  report.breakdown = {{"MXU compute", b.compute_s},
                      {"weight loading", b.weight_load_s},
                      {"KV-cache loading", b.kv_load_s},
                      {"exposed communication", b.exposed_comm_s},
                      {"other", b.other_s}};
  report.notes.push_back(
      "The headline and breakdown cover the whole run; the timeline below covers what was "
      "captured (see 'Timeline captured').");
  write_timeline_outputs(timeline, timeline_filter(args, s.shape.chip_count()), args, report);
}

}  // namespace podsim::cli

namespace podsim::cli {

ReplayOptions capture_options(const TimelineArgs& args) {
  ReplayOptions options;
  options.record_tasks = args.wanted();
  options.record_link_intervals = args.wanted();
  return options;
}

Timeline collective_timeline(const Program& program, const Torus& torus, const ChipSpec& chip,
                             const CollectiveSpec& spec, const ReplayResult& result) {
  return build_timeline(program, torus, chip, result,
                        fmt::format("in-process simulation of the whole {} over {} on {} (every "
                                    "transfer)",
                                    collective_kind_name(spec.kind), spec.axes.name(),
                                    torus.shape().name()));
}

HtmlReport collective_report(const Timeline& timeline, const CollectiveSpec& spec,
                             const Platform& platform, const ReplayResult& result) {
  const CollectiveEstimate estimate = collective_estimate(spec, timeline.shape, platform.chip);
  HtmlReport report;
  report.title = fmt::format("podsim: {} over {} on {}, {} per chip", collective_kind_name(spec.kind),
                             spec.axes.name(), timeline.shape.name(),
                             format_bytes(static_cast<double>(spec.bytes)));
  std::string wraps;
  for (Axis a : kAxes)
    if (timeline.shape.wrapped(a)) wraps += axis_name(a);
  report.scenario = {{"op", std::string(collective_kind_name(spec.kind))},
                     {"axes", spec.axes.name()},
                     {"shape", timeline.shape.name()},
                     {"wraparound", wraps.empty() ? "none" : wraps},
                     {"bytes per chip", fmt::format("{} ({} B)", format_bytes(static_cast<double>(spec.bytes)), spec.bytes)},
                     {"algorithm", std::string(ring_algorithm_name(spec.algorithm))},
                     {"multi-axis", std::string(multi_axis_name(spec.multi_axis))},
                     {"platform", platform.name},
                     {"link bandwidth", fmt::format("{:.4g} GB/s per direction", platform.chip.ici_link_bytes_per_s / 1e9)},
                     {"hop latency", format_seconds(platform.chip.ici_hop_latency_s)}};
  const double simulated = result.makespan_s;
  report.headline = {
      {"simulated", format_seconds(simulated)},
      {"closed form", fmt::format("{} (latency {} + bandwidth {})", format_seconds(estimate.time_s),
                                  format_seconds(estimate.latency_s),
                                  format_seconds(estimate.bandwidth_s))},
      {"simulated / closed form", fmt::format("{:.4f}", estimate.time_s > 0 ? simulated / estimate.time_s : 0)},
      {"bound", estimate.latency_bound() ? "latency" : "bandwidth"},
      {"algorithm bandwidth", fmt::format("{:.4g} GB/s (bytes per chip / simulated time)",
                                          static_cast<double>(spec.bytes) / simulated / 1e9)},
      {"transfers", fmt::format("{} point-to-point messages", result.transfers)},
      {"link bytes", fmt::format("{} over {} directed links", format_bytes(result.total_link_bytes),
                                 result.links.size())}};
  report.breakdown_title = "Simulated time against the closed form";
  report.breakdown = {{"closed-form latency", estimate.latency_s},
                      {"closed-form bandwidth", std::min(estimate.bandwidth_s, simulated)},
                      {"beyond the closed form (contention, mesh, overlap)",
                       std::max(0.0, simulated - estimate.time_s)}};
  return report;
}

}  // namespace podsim::cli
