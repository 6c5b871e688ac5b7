#pragma once
// The latency-vs-cost Pareto frontier of sweep results (the paper's Figure 1): per phase, the
// points that no other point beats on both latency and cost. Pure C++.

#include <string>
#include <vector>

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

}  // namespace podsim
