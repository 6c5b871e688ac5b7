#pragma once
// The latency-vs-cost Pareto frontier of sweep results (the paper's Figure 1): per phase, the
// points that no other point beats on both latency and cost. Pure C++.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/report/sweep_table.hpp"

namespace podsim {

// A phase's axes in the result CSV (sweep_table.hpp): prefill plots prefill_s against
// prefill_cost_chip_s_per_token; decode plots decode_step_s (latency per generated token)
// against decode_cost_chip_s_per_token.
struct ParetoPhase {
  std::string name;            // "prefill" | "decode"
  std::string latency_column;  // seconds
  std::string cost_column;     // chip-seconds per token
  std::string mark_column;     // the column `podsim pareto` adds: pareto_prefill | pareto_decode
};
const std::vector<ParetoPhase>& pareto_phases();

struct ParetoPoint {
  double latency_s = 0;
  double cost = 0;
};

// on_frontier[i] is true when no point j is at least as good on both axes and strictly better
// on one (equal points are all on the frontier). O(n log n): sort by latency, then cost, and
// keep the points whose cost is below every cost seen at a strictly smaller latency.
std::vector<bool> pareto_frontier(const std::vector<ParetoPoint>& points);

// A latency target of one phase (`--max-latency decode=20ms`).
struct ParetoTarget {
  std::string phase;  // a pareto_phases() name
  double max_latency_s = 0;
};

struct ParetoReport {
  CsvTable table;      // the input with a pareto_<phase> column per phase ("yes"/"no"/"")
  std::string text;    // per phase: its frontier, and the cheapest point within each target
  nlohmann::json doc;  // the same as JSON: {"<phase>": {"frontier": [...], ...}}
};

// The latency/cost frontier of each phase of a sweep result table (simulated rows with a
// positive latency and cost) and the cheapest point within each target. Throws InputError at
// `source`:1:1 when no phase has the columns and rows to analyse.
ParetoReport pareto_report(CsvTable table, const std::vector<ParetoTarget>& targets,
                           const std::string& source);

}  // namespace podsim
