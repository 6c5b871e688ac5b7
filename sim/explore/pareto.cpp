#include "sim/explore/pareto.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

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

}  // namespace podsim
