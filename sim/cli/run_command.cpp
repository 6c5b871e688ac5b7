// `podsim run`, `podsim trace` and `podsim replay`: scenario -> trace -> SimGrid replay -> report.

#include <fmt/format.h>

#include <iostream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/timeline_output.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/core/logging.hpp"
#include "sim/replay/memory_limit.hpp"
#include "sim/replay/trace_replay.hpp"
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

int simulate(const Trace& trace, const std::string& json_path,
             const TimelineArgs& timeline_args = {}) {
  check_memory_available(replay_memory_need(trace, trace.scenario.exact),
                         fmt::format("{} on {}{}", trace.scenario.name, trace.scenario.shape.name(),
                                     trace.scenario.exact ? " (exact)" : ""),
                         SourceLocation{trace.scenario.source_file, 0, 0});
  std::optional<Timeline> timeline;
  const TraceTiming timing = simulate_with_timeline(trace, timeline_args, timeline);
  const RunMetrics metrics = compute_metrics(trace, timing.step_s, timing.path);
  if (timeline) write_run_timeline(trace, metrics, *timeline, timeline_args);
  if (!trace.memory.fits)
    std::cerr << "warning: the memory plan does not fit in HBM; simulated anyway "
                 "(allow_oversubscribe)\n";
  if (!json_path.empty()) {
    write_json(metrics_json(trace, metrics), json_path);
    if (json_path == "-") return 0;
  }
  std::cout << metrics_text(trace, metrics);
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
    const Scenario scenario = config::load_scenario(args->scenario, all_overrides(*args));
    return simulate(generate_trace(scenario), args->json, args->timeline);
  };
}

Command add_trace_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("trace", "Write the per-layer trace of a scenario as JSON");
  add_scenario_options(sub, *args);
  sub->add_option("-o,--output", args->output, "Trace file to write (- for stdout)")->required();
  return [args]() {
    const Scenario scenario = config::load_scenario(args->scenario, all_overrides(*args));
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
