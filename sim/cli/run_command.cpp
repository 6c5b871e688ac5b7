// `podsim run`, `podsim trace` and `podsim replay`: scenario -> trace -> SimGrid replay -> report.

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/cli/timeline_output.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/explore/layout_search.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/report/html_content.hpp"
#include "sim/report/run_metrics.hpp"
#include "sim/workload/trace_generator.hpp"
#include "sim/workload/trace_json.hpp"

namespace podsim::cli {

namespace {

struct RunArgs {
  std::string scenario;
  std::vector<std::string> overrides;
  OutputArgs out;        // -o, --format, --json (run, replay); -o (trace)
  bool exact = false;
  bool allow_oversubscribe = false;
  bool twist = false;
  TimelineArgs timeline;  // --perfetto, --html and what to keep
};

std::vector<std::string> all_overrides(const RunArgs& args) {
  std::vector<std::string> overrides = args.overrides;
  if (args.exact) overrides.push_back("exact=true");
  if (args.allow_oversubscribe) overrides.push_back("allow_oversubscribe=true");
  if (args.twist) overrides.push_back("twist=true");
  return overrides;
}

const OutputFormats kRunFormats{{"text", "json"}, "json", true, false, "the metrics"};
const OutputFormats kTraceFormats{{"json"}, "json", false, false, "the trace"};

// Decides the layout (explore/layout_search; a given layout passes through) and prints the
// ranking of `ffn_layout: auto` (on stderr when stdout carries data).
LayoutChoice decide_layout(const Scenario& scenario, bool stdout_is_data) {
  LayoutChoice choice = [&]() {
    const RunProgress progress;  // on stderr while the candidates simulate
    return choose_layout(scenario);
  }();
  (stdout_is_data ? std::cerr : std::cout) << choice_ranking_text(choice);
  return choice;
}

int simulate(const Trace& trace, const ResolvedOutputs& outputs,
             const TimelineArgs& timeline_args = {},
             const std::optional<LayoutRanking>& ranking = std::nullopt,
             const nlohmann::json& ranking_doc = nullptr) {
  check_memory_available(replay_memory_need(trace, trace.scenario.exact),
                         fmt::format("{} on {}{}", trace.scenario.name, trace.scenario.shape.name(),
                                     trace.scenario.exact ? " (exact)" : ""),
                         SourceLocation{trace.scenario.source_file, 0, 0});
  // The auto layout's fast-path run already timed the winner.
  const bool reuse = ranking && ranking->chosen_timing && !trace.scenario.exact &&
                     !timeline_args.wanted();
  std::optional<CapturedRun> captured;
  std::optional<TraceTiming> simulated;
  {
    // Progress on stderr while it simulates (cli/progress), gone before anything is printed.
    const RunProgress progress;
    if (timeline_args.wanted())
      captured = simulate_with_timeline(
          trace, timeline_capture(timeline_args, trace.scenario.shape.chip_count()));
    else if (!reuse)
      simulated = simulate_trace(trace, trace.scenario.exact);
  }
  const TraceTiming timing = captured ? captured->timing
                             : reuse  ? *ranking->chosen_timing
                                      : *simulated;
  const RunMetrics metrics = compute_metrics(trace, timing.step_s, timing.path);
  if (captured)
    write_timeline_outputs(captured->timeline,
                           timeline_filter(timeline_args, trace.scenario.shape.chip_count()),
                           timeline_args, run_html_report(trace, metrics));
  if (!trace.memory.fits)
    std::cerr << "warning: the memory plan does not fit in HBM; simulated anyway "
                 "(allow_oversubscribe)\n";
  emit_outputs(outputs, [&](const std::string& format) {
    if (format == "json") {
      nlohmann::json doc = metrics_json(trace, metrics);
      doc["format_version"] = kJsonFormatVersion;
      if (!ranking_doc.is_null()) doc["layout_ranking"] = ranking_doc;
      doc["transfers"] = timing.transfers;  // point-to-point messages simulated (all rounds)
      doc["replay"] = timing.replay;        // folded or per-chip (program/fold.hpp)
      if (timing.representatives > 0) doc["representatives"] = timing.representatives;
      return doc.dump(2) + "\n";
    }
    return metrics_text(trace, metrics) +
           fmt::format("  replay             {}{}\n", timing.replay,
                       timing.representatives > 1
                           ? fmt::format(" ({} representatives)", timing.representatives)
                           : std::string());
  });
  return 0;
}

void add_scenario_options(CLI::App* sub, RunArgs& args) {
  sub->add_option("scenario", args.scenario, "Scenario YAML file")->required()->type_name("FILE");
  sub->add_option("--set", args.overrides, "Override a scenario key: --set batch=128 (repeatable)")
      ->type_name("KEY=VALUE");
  sub->add_flag("--exact", args.exact, "Simulate every layer (no periodicity shortcut)");
  sub->add_flag("--allow-oversubscribe", args.allow_oversubscribe,
                "Simulate a scenario even when it does not fit in HBM");
  sub->add_flag("--twist", args.twist,
                "Twist the slice (TPU v4 optical switches; 4x4x8 and 4x8x8 only): same as --set "
                "twist=true");
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Simulate a scenario and report latency, MFU, cost");
  add_scenario_options(sub, *args);
  add_output_options(sub, args->out, kRunFormats);
  add_timeline_options(sub, args->timeline, true);
  set_examples(sub, {"podsim run scenarios/t2-low-latency-decode.yaml --set batch=128 -o m.json"});
  return [args]() {
    const ResolvedOutputs outputs = resolve_outputs(args->out, kRunFormats);
    const LayoutChoice choice = decide_layout(
        config::load_scenario(args->scenario, all_overrides(*args)), outputs.stdout_is_data());
    return simulate(generate_trace(choice.scenario), outputs, args->timeline, choice.ranking,
                    choice_ranking_json(choice));
  };
}

Command add_trace_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("trace", "Write the per-layer trace of a scenario as JSON");
  add_scenario_options(sub, *args);
  add_output_options(sub, args->out, kTraceFormats);
  set_examples(sub, {"podsim trace scenarios/palm-8b-8chips.yaml -o trace.json && podsim replay "
                     "trace.json"});
  return [args]() {
    const ResolvedOutputs outputs = resolve_outputs(args->out, kTraceFormats);
    const Scenario scenario = config::load_scenario(args->scenario, all_overrides(*args));
    // A trace is pure data: deciding `auto` would simulate.
    if (scenario.layout_undecided())
      throw InputError(scenario.location_of("ffn_layout"), "ffn_layout",
                       "auto is decided by simulating the candidates, and podsim trace does not "
                       "simulate: give a layout (ws-1d, ws-2d, wg-x, wg-xy, wg-xyz), or run "
                       "`podsim run` with auto to see which one it chooses");
    const Trace trace = generate_trace(scenario);
    const std::string& path = outputs.files.front().path;
    if (path == "-") {
      std::cout << trace_to_json(trace);
      return 0;
    }
    write_trace_json(trace, path);
    std::size_t ops = 0;
    for (const StepTrace& step : trace.steps)
      for (const LayerTrace& layer : step.layers) ops += layer.ops.size();
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    std::cerr << fmt::format("wrote {} ({}): the trace of {} ({}), {} step{} of {} ops in all; "
                             "replay it with: podsim replay {}\n",
                             path, ec ? std::string("?") : format_bytes(static_cast<double>(size)),
                             scenario.name, scenario.shape.name(), trace.steps.size(),
                             trace.steps.size() == 1 ? "" : "s", ops, path);
    return 0;
  };
}

Command add_replay_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("replay", "Replay a trace file (from podsim trace or by hand)");
  sub->add_option("trace", args->scenario, "Trace JSON file")->required()->type_name("FILE");
  add_output_options(sub, args->out, kRunFormats);
  sub->add_flag("--exact", args->exact, "Simulate every layer (no periodicity shortcut)");
  add_timeline_options(sub, args->timeline, true);
  set_examples(sub, {"podsim replay trace.json --perfetto step.json"});
  return [args]() {
    const ResolvedOutputs outputs = resolve_outputs(args->out, kRunFormats);
    Trace trace = read_trace_json(args->scenario);
    if (args->exact) trace.scenario.exact = true;
    return simulate(trace, outputs, args->timeline);
  };
}

}  // namespace podsim::cli
