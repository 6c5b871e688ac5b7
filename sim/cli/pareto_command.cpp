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
  std::string output;
  std::vector<std::string> targets;
  std::string json;
};

struct Target {
  std::string phase;
  double max_latency_s = 0;
};

Target parse_target(const std::string& text) {
  const auto eq = text.find('=');
  const std::string phase = text.substr(0, eq);
  bool known = false;
  for (const ParetoPhase& p : pareto_phases()) known = known || p.name == phase;
  if (eq == std::string::npos || !known)
    throw InputError("--max-latency",
                     fmt::format("'{}' must be PHASE=TIME with PHASE prefill or decode, e.g. "
                                 "decode=20ms",
                                 text));
  return Target{phase, parse_seconds(text.substr(eq + 1), "--max-latency", SecondsBound::positive)};
}

std::optional<double> number_at(const CsvTable& table, std::size_t row, int column) {
  if (column < 0) return std::nullopt;
  const auto x = parse_double(table.rows[row][static_cast<std::size_t>(column)]);
  if (!x || !(*x > 0)) return std::nullopt;
  return x;
}

// A short label for a row: its point (or index) and the description columns present.
std::string row_label(const CsvTable& table, std::size_t row) {
  const auto field = [&](const std::string& name) -> std::string {
    const int c = table.column(name);
    return c < 0 ? "" : table.rows[row][static_cast<std::size_t>(c)];
  };
  std::string label;
  for (const char* name : {"model", "chips", "batch", "ffn_layout", "attention", "weights"}) {
    const std::string v = field(name);
    if (!v.empty()) label += fmt::format("{}{}={}", label.empty() ? "" : " ", name, v);
  }
  if (label.empty()) label = field("point");
  return label;
}

int run_pareto(const ParetoArgs& args) {
  CsvTable table = read_csv(args.input, false);
  std::vector<Target> targets;
  for (const std::string& t : args.targets) targets.push_back(parse_target(t));
  const int status_col = table.column("status");
  const int index_col = table.column("index");
  std::string text;
  nlohmann::json doc;
  bool any_phase = false;
  for (const ParetoPhase& phase : pareto_phases()) {
    const int lat_col = table.column(phase.latency_column);
    const int cost_col = table.column(phase.cost_column);
    if (lat_col < 0 || cost_col < 0) continue;
    // Rows of this phase: simulated (status ok when the column exists), positive latency and cost.
    std::vector<std::size_t> rows;
    std::vector<ParetoPoint> points;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
      if (status_col >= 0 && table.rows[r][static_cast<std::size_t>(status_col)] != kStatusOk)
        continue;
      const auto lat = number_at(table, r, lat_col);
      const auto cost = number_at(table, r, cost_col);
      if (!lat || !cost) continue;
      rows.push_back(r);
      points.push_back(ParetoPoint{*lat, *cost});
    }
    int mark_col = table.column(phase.mark_column);
    if (mark_col < 0) {
      table.header.push_back(phase.mark_column);
      for (auto& row : table.rows) row.emplace_back();
      mark_col = static_cast<int>(table.header.size()) - 1;
    }
    for (auto& row : table.rows) row[static_cast<std::size_t>(mark_col)].clear();
    if (rows.empty()) continue;
    any_phase = true;
    const std::vector<bool> on = pareto_frontier(points);
    std::vector<std::size_t> frontier;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      table.rows[rows[k]][static_cast<std::size_t>(mark_col)] = on[k] ? "yes" : "no";
      if (on[k]) frontier.push_back(k);
    }
    std::sort(frontier.begin(), frontier.end(), [&](std::size_t a, std::size_t b) {
      return std::pair(points[a].latency_s, points[a].cost) <
             std::pair(points[b].latency_s, points[b].cost);
    });
    text += fmt::format("{} frontier ({} latency vs cost): {} of {} points\n", phase.name,
                        phase.latency_column, frontier.size(), rows.size());
    text +=
        fmt::format("  {:>6}  {:>12}  {:>14}  {}\n", "row", "latency ms", "chip-ms/token", "point");
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t k : frontier) {
      const std::size_t r = rows[k];
      const std::string index = index_col >= 0 ? table.rows[r][static_cast<std::size_t>(index_col)]
                                               : std::to_string(r + 1);
      text += fmt::format("  {:>6}  {:>12.4g}  {:>14.4g}  {}\n", index, points[k].latency_s * 1e3,
                          points[k].cost * 1e3, row_label(table, r));
      list.push_back({{"row", r + 1},
                      {"index", index},
                      {"label", row_label(table, r)},
                      {"latency_s", points[k].latency_s},
                      {"cost_chip_s_per_token", points[k].cost}});
    }
    doc[phase.name]["frontier"] = list;
    for (const Target& t : targets) {
      if (t.phase != phase.name) continue;
      // The cheapest point within the target is on the frontier (any cheaper point within the
      // target would dominate it), so searching all rows or the frontier gives the same one.
      std::optional<std::size_t> best;
      for (std::size_t k = 0; k < rows.size(); ++k)
        if (points[k].latency_s <= t.max_latency_s &&
            (!best || std::pair(points[k].cost, points[k].latency_s) <
                          std::pair(points[*best].cost, points[*best].latency_s)))
          best = k;
      if (best) {
        text += fmt::format("  cheapest within {:.3f} ms: {} ({:.3f} ms, {:.4f} chip-ms/token)\n",
                            t.max_latency_s * 1e3, row_label(table, rows[*best]),
                            points[*best].latency_s * 1e3, points[*best].cost * 1e3);
        doc[phase.name]["cheapest_within_target"] = {{"max_latency_s", t.max_latency_s},
                                                     {"row", rows[*best] + 1},
                                                     {"label", row_label(table, rows[*best])}};
      } else {
        text += fmt::format("  no point within {:.3f} ms\n", t.max_latency_s * 1e3);
        doc[phase.name]["cheapest_within_target"] = nullptr;
      }
    }
  }
  if (!any_phase)
    throw InputError(SourceLocation{args.input, 1, 1}, "header",
                     "no phase to plot: expected simulated rows with prefill_s and "
                     "prefill_cost_chip_s_per_token, or decode_step_s and "
                     "decode_cost_chip_s_per_token (podsim sweep writes them)");
  if (!args.output.empty()) {
    std::string csv = csv_line(table.header) + "\n";
    for (const auto& row : table.rows) csv += csv_line(row) + "\n";
    write_output_file(args.output, csv, "-o");
  }
  if (!args.json.empty()) write_json(doc, args.json);
  if (args.json != "-") std::cout << text;
  return 0;
}

}  // namespace

Command add_pareto_command(CLI::App& app) {
  auto args = std::make_shared<ParetoArgs>();
  CLI::App* sub = app.add_subcommand(
      "pareto", "Mark the latency-vs-cost Pareto frontier (per phase) of sweep results");
  sub->add_option("results", args->input, "CSV from podsim sweep (or any CSV with the columns)")
      ->required();
  sub->add_option("-o,--output", args->output,
                  "Write the CSV with pareto_prefill/pareto_decode columns (may be the input)");
  sub->add_option("--max-latency", args->targets,
                  "PHASE=TIME: also name the cheapest point within it (decode=20ms)");
  sub->add_option("--json", args->json, "Write the frontiers as JSON to FILE (- for stdout)");
  return [args]() { return run_pareto(*args); };
}

}  // namespace podsim::cli
