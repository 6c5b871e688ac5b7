// `podsim pareto results.csv [-o marked.csv]`: per phase, the points of a sweep that are on the
// latency-vs-cost Pareto frontier (the paper's Figure 1), printed as a table and marked in the
// CSV (columns pareto_prefill, pareto_decode: yes | no | empty when the row has no such phase).
// `--max-latency decode=20ms` also names the cheapest point within a latency target.

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/explore/pareto.hpp"
#include "sim/report/sweep_table.hpp"

namespace podsim::cli {

namespace {

struct ParetoArgs {
  std::string input;
  OutputArgs out;  // -o (the marked CSV), --format, --json
  std::vector<std::string> targets;
};

const OutputFormats kParetoFormats{
    {"text", "json", "csv"}, "csv", true, false,
    "the frontiers (csv: the input with pareto_prefill/pareto_decode columns; may be the input)"};

ParetoTarget parse_target(const std::string& text) {
  const auto eq = text.find('=');
  const std::string phase = text.substr(0, eq);
  bool known = false;
  for (const ParetoPhase& p : pareto_phases()) known = known || p.name == phase;
  if (eq == std::string::npos || !known)
    throw InputError("--max-latency",
                     fmt::format("'{}' must be PHASE=TIME with PHASE prefill or decode, e.g. "
                                 "decode=20ms",
                                 text));
  return ParetoTarget{phase, parse_seconds(text.substr(eq + 1), "--max-latency", SecondsBound::positive)};
}

int run_pareto(const ParetoArgs& args) {
  const ResolvedOutputs outputs = resolve_outputs(args.out, kParetoFormats);
  std::vector<ParetoTarget> targets;
  for (const std::string& t : args.targets) targets.push_back(parse_target(t));
  const ParetoReport report = pareto_report(read_csv(args.input, false), targets, args.input);
  const CsvTable& table = report.table;
  emit_outputs(outputs, [&](const std::string& format) {
    if (format == "json") {
      nlohmann::json doc = report.doc;
      doc["format_version"] = kJsonFormatVersion;
      return doc.dump(2) + "\n";
    }
    if (format == "csv") {
      std::string csv = csv_line(table.header) + "\n";
      for (const auto& row : table.rows) csv += csv_line(row) + "\n";
      return csv;
    }
    return report.text;
  });
  return 0;
}

}  // namespace

Command add_pareto_command(CLI::App& app) {
  auto args = std::make_shared<ParetoArgs>();
  CLI::App* sub = app.add_subcommand(
      "pareto", "Mark the latency-vs-cost Pareto frontier (per phase) of sweep results");
  sub->add_option("results", args->input, "CSV from podsim sweep (or any CSV with the columns)")
      ->required()
      ->type_name("FILE");
  add_output_options(sub, args->out, kParetoFormats);
  sub->add_option("--max-latency", args->targets,
                  "PHASE=TIME: also name the cheapest point within it (decode=20ms)")
      ->type_name("PHASE=TIME");
  set_examples(sub, {"podsim pareto results.csv --max-latency decode=20ms -o marked.csv"});
  return [args]() { return run_pareto(*args); };
}

}  // namespace podsim::cli
