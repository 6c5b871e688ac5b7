// `podsim run`, `podsim trace` and `podsim replay`: scenario -> trace -> SimGrid replay -> report.

#include <fmt/format.h>

#include <iostream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/timeline_output.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/core/logging.hpp"
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
  std::string json;
  std::string output;
  bool exact = false;
  bool allow_oversubscribe = false;
  TimelineArgs timeline;  // --perfetto, --html and what to keep
};

std::vector<std::string> all_overrides(const RunArgs& args) {
  std::vector<std::string> overrides = args.overrides;
  if (args.exact) overrides.push_back("exact=true");
  if (args.allow_oversubscribe) overrides.push_back("allow_oversubscribe=true");
  return overrides;
}

// Decides the layout (explore/layout_search; a given layout passes through) and prints the
// ranking of `ffn_layout: auto` (on stderr when stdout carries JSON).
LayoutChoice decide_layout(const Scenario& scenario, bool stdout_is_data) {
  LayoutChoice choice = choose_layout(scenario);
  if (choice.ranking) (stdout_is_data ? std::cerr : std::cout) << ranking_text(*choice.ranking);
  return choice;
}

int simulate(const Trace& trace, const std::string& json_path,
             const TimelineArgs& timeline_args = {},
             const std::optional<LayoutRanking>& ranking = std::nullopt) {
  check_memory_available(replay_memory_need(trace, trace.scenario.exact),
                         fmt::format("{} on {}{}", trace.scenario.name, trace.scenario.shape.name(),
                                     trace.scenario.exact ? " (exact)" : ""),
                         SourceLocation{trace.scenario.source_file, 0, 0});
  // The auto layout's fast-path run already timed the winner.
  const bool reuse = ranking && ranking->chosen_timing && !trace.scenario.exact &&
                     !timeline_args.wanted();
  std::optional<CapturedRun> captured;
  if (timeline_args.wanted())
    captured = simulate_with_timeline(
        trace, timeline_capture(timeline_args, trace.scenario.shape.chip_count()));
  const TraceTiming timing = captured ? captured->timing
                             : reuse  ? *ranking->chosen_timing
                                      : simulate_trace(trace, trace.scenario.exact);
  const RunMetrics metrics = compute_metrics(trace, timing.step_s, timing.path);
  if (captured)
    write_timeline_outputs(captured->timeline,
                           timeline_filter(timeline_args, trace.scenario.shape.chip_count()),
                           timeline_args, run_html_report(trace, metrics));
  if (!trace.memory.fits)
    std::cerr << "warning: the memory plan does not fit in HBM; simulated anyway "
                 "(allow_oversubscribe)\n";
  if (!json_path.empty()) {
    nlohmann::json doc = metrics_json(trace, metrics);
    if (ranking) doc["layout_ranking"] = ranking_json(*ranking);
    doc["transfers"] = timing.transfers;  // point-to-point messages simulated (all rounds)
    doc["replay"] = timing.replay;        // folded or per-chip (program/fold.hpp)
    write_json(doc, json_path);
    if (json_path == "-") return 0;
  }
  std::cout << metrics_text(trace, metrics);
  std::cout << fmt::format("  replay             {}\n", timing.replay);
  return 0;
}

void add_scenario_options(CLI::App* sub, RunArgs& args) {
  sub->add_option("scenario", args.scenario, "Scenario YAML file")->required();
  sub->add_option("--set", args.overrides, "Override a scenario key: --set batch=128 (repeatable)");
  sub->add_flag("--exact", args.exact, "Simulate every layer (no periodicity shortcut)");
  sub->add_flag("--allow-oversubscribe", args.allow_oversubscribe,
                "Simulate a scenario even when it does not fit in HBM");
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Simulate a scenario and report latency, MFU, cost");
  add_scenario_options(sub, *args);
  sub->add_option("--json", args->json, "Write the metrics as JSON to FILE (- for stdout)");
  add_timeline_options(sub, args->timeline, true);
  return [args]() {
    const LayoutChoice choice = decide_layout(
        config::load_scenario(args->scenario, all_overrides(*args)), args->json == "-");
    return simulate(generate_trace(choice.scenario), args->json, args->timeline, choice.ranking);
  };
}

Command add_trace_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("trace", "Write the per-layer trace of a scenario as JSON");
  add_scenario_options(sub, *args);
  sub->add_option("-o,--output", args->output, "Trace file to write (- for stdout)")->required();
  return [args]() {
    const Scenario scenario = config::load_scenario(args->scenario, all_overrides(*args));
    // A trace is pure data: deciding `auto` would simulate.
    if (scenario.ffn_layout_auto)
      throw InputError(scenario.location_of("ffn_layout"), "ffn_layout",
                       "auto is decided by simulating the candidates, and podsim trace does not "
                       "simulate: give a layout (ws-1d, ws-2d, wg-x, wg-xy, wg-xyz), or run "
                       "`podsim run` with auto to see which one it chooses");
    const Trace trace = generate_trace(scenario);
    if (args->output == "-")
      std::cout << trace_to_json(trace);
    else
      write_trace_json(trace, args->output);
    return 0;
  };
}

Command add_replay_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("replay", "Replay a trace file (from podsim trace or by hand)");
  sub->add_option("trace", args->scenario, "Trace JSON file")->required();
  sub->add_option("--json", args->json, "Write the metrics as JSON to FILE (- for stdout)");
  sub->add_flag("--exact", args->exact, "Simulate every layer (no periodicity shortcut)");
  add_timeline_options(sub, args->timeline, true);
  return [args]() {
    Trace trace = read_trace_json(args->scenario);
    if (args->exact) trace.scenario.exact = true;
    return simulate(trace, args->json, args->timeline);
  };
}

}  // namespace podsim::cli
