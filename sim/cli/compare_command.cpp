// `podsim compare SCENARIO --vary ffn_layout=ws-1d,ws-2d [--vary attention=heads,batch]`: runs
// every combination of the varied keys (each in its own process, as `podsim run` would) and
// prints one table, one row per variant, with the best value of each column marked.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/explore/point_runner.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/config/sweep_loader.hpp"
#include "sim/core/env.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/report/compare_table.hpp"
#include "sim/report/sweep_table.hpp"

namespace podsim::cli {

namespace {

struct CompareArgs {
  std::string scenario;
  std::vector<std::string> vary;
  std::vector<std::string> overrides;
  int jobs = 0;
  OutputArgs out;  // -o, --format, --json, --csv
  bool exact = false;
  bool allow_oversubscribe = false;
};

struct Vary {
  std::string key;
  std::vector<std::string> values;
};

Vary parse_vary(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError("--vary", fmt::format("'{}' must be key=value1,value2,... e.g. "
                                           "ffn_layout=ws-1d,ws-2d",
                                           text));
  Vary v{text.substr(0, eq), {}};
  const auto& keys = config::scenario_keys();
  if (!config::is_scenario_key(v.key))
    throw InputError("--vary", fmt::format("'{}' is not a scenario key; scenario keys are {}",
                                           v.key, fmt::join(keys, ", ")));
  std::size_t start = eq + 1;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string value = text.substr(start, end - start);
    if (value.empty()) throw InputError("--vary", fmt::format("'{}' has an empty value", text));
    if (std::find(v.values.begin(), v.values.end(), value) != v.values.end())
      throw InputError("--vary", fmt::format("'{}' lists '{}' twice", text, value));
    v.values.push_back(value);
    start = end + 1;
  }
  return v;
}

const OutputFormats kCompareFormats{{"text", "json", "csv"}, "csv", true, true, "the variants"};

int run_compare(const CompareArgs& args) {
  const ResolvedOutputs outputs = resolve_outputs(args.out, kCompareFormats);
  std::vector<Vary> varies;
  for (const std::string& text : args.vary) {
    Vary v = parse_vary(text);
    for (const Vary& other : varies)
      if (other.key == v.key)
        throw InputError("--vary", fmt::format("'{}' is varied twice; list all its values in one "
                                               "--vary {}=a,b,c",
                                               v.key, v.key));
    varies.push_back(std::move(v));
  }
  std::vector<std::string> common = args.overrides;
  for (const std::string& o : common) config::parse_override(o);  // checks key=value
  if (args.exact) common.push_back("exact=true");
  if (args.allow_oversubscribe) common.push_back("allow_oversubscribe=true");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(args.scenario, ec))
    throw InputError(SourceLocation{args.scenario, 0, 0}, "file", "does not exist");

  // The variants: the cartesian product of the --vary lists, the first one varying slowest.
  std::vector<std::vector<std::pair<std::string, std::string>>> variants(1);
  for (const Vary& v : varies) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& partial : variants)
      for (const std::string& value : v.values) {
        auto p = partial;
        p.emplace_back(v.key, value);
        next.push_back(std::move(p));
      }
    variants = std::move(next);
  }
  std::vector<PointTask> tasks;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    PointTask t;
    t.index = i + 1;
    t.overrides = common;
    for (const auto& [key, value] : variants[i]) {
      t.point += (t.point.empty() ? "" : " ") + key + "=" + value;
      t.overrides.push_back(key + "=" + value);
    }
    tasks.push_back(std::move(t));
  }
  PointRunOptions options;
  options.scenario = args.scenario;
  options.jobs = args.jobs > 0 ? args.jobs : default_jobs();
  options.requested = [&](const PointTask& task, const std::string& column) -> std::string {
    for (const auto& [key, value] : variants[task.index - 1])
      if (key == column) return value;
    return "";
  };
  // Progress on stderr (cli/progress.hpp): a compare of big scenarios runs for minutes.
  struct Observer : PointObserver {
    PointsProgress progress;
    Observer(std::vector<double> work, int jobs) : progress("variants", std::move(work), jobs, false) {}
    void started(std::size_t task) override { progress.started(task); }
    void finished(const PointResult& r, double seconds) override {
      progress.finished(r.index - 1, r.status,
                        r.status == kStatusOk
                            ? fmt::format("{}: ok, {}", r.point,
                                          format_seconds(seconds, TimeUnit::s, decimals(1)))
                            : fmt::format("{}: {}: {}", r.point, r.status, r.reason));
    }
    void tick() override { progress.tick(); }
  };
  std::vector<double> work;
  for (const PointTask& t : tasks)
    work.push_back(progress_wanted() ? predicted_point_work(args.scenario, t.overrides) : 0);
  bool interrupted = false;
  std::vector<PointResult> results;
  {
    Observer observer(std::move(work), options.jobs);
    results = run_points(tasks, options, &observer, interrupted);
  }
  if (interrupted) {
    std::fputs("interrupted\n", stderr);
    return 130;
  }
  // Every variant refused for one same reason: the command itself is wrong (a misspelt --set
  // key, a bad base scenario), so say it once, as bad input.
  const bool all_same_invalid = std::all_of(results.begin(), results.end(), [&](const auto& r) {
    return r.status == kStatusInvalid && r.reason == results.front().reason;
  });
  if (all_same_invalid && !results.empty()) {
    std::fputs((results.front().reason + "\n").c_str(), stderr);
    return 2;
  }

  emit_outputs(outputs, [&](const std::string& format) {
    if (format == "json") {
      nlohmann::json doc = results_json(args.scenario, results);
      doc["format_version"] = kJsonFormatVersion;
      return doc.dump(2) + "\n";
    }
    if (format == "csv") {
      std::string text = csv_line(result_header()) + "\n";
      for (const PointResult& r : results) text += csv_line(result_fields(r)) + "\n";
      return text;
    }
    return table_text(args.scenario, results);
  });
  return 0;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand(
      "compare", "Run variants of a scenario (--vary key=a,b) and compare them in one table");
  sub->add_option("scenario", args->scenario, "Scenario YAML file")->required()->type_name("FILE");
  sub->add_option("--vary", args->vary,
                  "A key and its values: --vary ffn_layout=ws-1d,ws-2d (repeatable; every "
                  "combination is run)")
      ->required()
      ->type_name("KEY=V1,V2");
  sub->add_option("--set", args->overrides, "Override a scenario key for every variant")
      ->type_name("KEY=VALUE");
  sub->add_option("-j,--jobs", args->jobs, "Simulation processes at once (default: cores)")
      ->check(CLI::Range(1, 1024));
  add_output_options(sub, args->out, kCompareFormats);
  sub->add_flag("--exact", args->exact, "Simulate every layer (no periodicity shortcut)");
  sub->add_flag("--allow-oversubscribe", args->allow_oversubscribe,
                "Simulate variants even when they do not fit in HBM");
  set_examples(sub, {"podsim compare scenarios/t2-low-latency-decode.yaml --vary "
                     "ffn_layout=ws-1d,ws-2d --vary chips=64,128"});
  return [args]() { return run_compare(*args); };
}

}  // namespace podsim::cli
