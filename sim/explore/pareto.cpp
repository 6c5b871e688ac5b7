#include "sim/explore/pareto.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>

#include "sim/core/input_error.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

const std::vector<ParetoPhase>& pareto_phases() {
  static const std::vector<ParetoPhase> phases = {
      {"prefill", "prefill_s", "prefill_cost_chip_s_per_token", "pareto_prefill"},
      {"decode", "decode_step_s", "decode_cost_chip_s_per_token", "pareto_decode"}};
  return phases;
}

std::vector<bool> pareto_frontier(const std::vector<ParetoPoint>& points) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (points[a].latency_s != points[b].latency_s)
      return points[a].latency_s < points[b].latency_s;
    return points[a].cost < points[b].cost;
  });
  std::vector<bool> on(points.size(), false);
  // best_cost: the lowest cost among points of strictly smaller latency (all dominate-capable).
  double best_cost = std::numeric_limits<double>::infinity();
  std::size_t i = 0;
  while (i < order.size()) {
    // A group of equal latency: only its lowest cost(s) can be on the frontier, and only when
    // below every cost at a smaller latency.
    std::size_t j = i;
    while (j < order.size() && points[order[j]].latency_s == points[order[i]].latency_s) ++j;
    const double group_min = points[order[i]].cost;
    for (std::size_t k = i; k < j; ++k)
      on[order[k]] = points[order[k]].cost == group_min && group_min < best_cost;
    best_cost = std::min(best_cost, group_min);
    i = j;
  }
  return on;
}

namespace {

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

}  // namespace

ParetoReport pareto_report(CsvTable table, const std::vector<ParetoTarget>& targets,
                           const std::string& source) {
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
    for (const ParetoTarget& t : targets) {
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
    throw InputError(SourceLocation{source, 1, 1}, "header",
                     "no phase to plot: expected simulated rows with prefill_s and "
                     "prefill_cost_chip_s_per_token, or decode_step_s and "
                     "decode_cost_chip_s_per_token (podsim sweep writes them)");
  return ParetoReport{std::move(table), std::move(text), std::move(doc)};
}

}  // namespace podsim
