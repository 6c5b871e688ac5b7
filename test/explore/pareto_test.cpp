// pareto_frontier against a brute-force dominance check (every pair compared), on random point
// sets with many ties, and on small sets whose frontier is known by hand.

#include "sim/explore/pareto.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

namespace {

std::vector<bool> brute_force(const std::vector<podsim::ParetoPoint>& p) {
  std::vector<bool> on(p.size(), true);
  for (std::size_t i = 0; i < p.size(); ++i)
    for (std::size_t j = 0; j < p.size(); ++j)
      if (p[j].latency_s <= p[i].latency_s && p[j].cost <= p[i].cost &&
          (p[j].latency_s < p[i].latency_s || p[j].cost < p[i].cost))
        on[i] = false;
  return on;
}

}  // namespace

TEST_CASE("pareto frontier equals a brute-force dominance check on random points", "[explore]") {
  std::mt19937 rng(42);
  // Values from a small set, so that equal latencies, equal costs and equal points are common.
  std::uniform_int_distribution<int> value(1, 12);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<podsim::ParetoPoint> points(1 + trial % 40);
    for (auto& p : points) p = {value(rng) * 1e-3, value(rng) * 0.5};
    INFO("trial " << trial);
    REQUIRE(podsim::pareto_frontier(points) == brute_force(points));
  }
}

TEST_CASE("pareto frontier of hand-made point sets", "[explore]") {
  using P = podsim::ParetoPoint;
  CHECK(podsim::pareto_frontier({}).empty());
  CHECK(podsim::pareto_frontier({P{1, 1}}) == std::vector<bool>{true});
  // (1,3) (2,2) (3,1) all trade off; (2,3) is beaten by (2,2); (3,3) by all three.
  CHECK(podsim::pareto_frontier({P{1, 3}, P{2, 3}, P{2, 2}, P{3, 1}, P{3, 3}}) ==
        std::vector<bool>{true, false, true, true, false});
  // Two equal points are both on the frontier; a point equal in latency but dearer is not.
  CHECK(podsim::pareto_frontier({P{1, 1}, P{1, 1}, P{1, 2}}) ==
        std::vector<bool>{true, true, false});
}
