// The estimate of the time left in compare and sweep (explore/progress_estimate): worked by hand
// on a few points, and the predicted work of a point against the task count of its simulation.

#include "sim/explore/progress_estimate.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {
namespace {

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

}  // namespace

TEST_CASE("before any point finishes the estimate is the prior rate times the work") {
  const EtaEstimate eta({1e6, 2e6, 3e6}, 1);
  CHECK(eta.remaining_s(0) == Approx(6e6 * kPriorSecondsPerTask));
  const EtaEstimate two({1e6, 2e6, 3e6}, 2);
  CHECK(two.remaining_s(0) == Approx(3e6 * kPriorSecondsPerTask));
}

TEST_CASE("finished points set the rate and a running point counts what is left of it") {
  EtaEstimate eta({1.0, 1.0, 2.0}, 1);
  eta.started(0, 0.0);
  eta.finished(0, 2.0);  // 2 s for one unit of work
  CHECK(eta.seconds_per_work() == Approx(2.0));
  // Left: points 1 and 2, 3 units at 2 s each.
  CHECK(eta.remaining_s(2.0) == Approx(6.0));
  eta.started(1, 2.0);
  // Point 1 has run 0.5 s of its predicted 2 s.
  CHECK(eta.remaining_s(2.5) == Approx(1.5 + 4.0));
  // A point running past its prediction counts nothing, not less than nothing.
  CHECK(eta.remaining_s(10.0) == Approx(4.0));
  eta.finished(1, 5.0);  // 3 s: the rate is now (2 + 3) s / 2 units
  CHECK(eta.seconds_per_work() == Approx(2.5));
  CHECK(eta.remaining_s(5.0) == Approx(5.0));
  eta.started(2, 5.0);
  eta.finished(2, 9.0);
  CHECK(eta.remaining_s(9.0) == 0);
}

TEST_CASE("a point that cannot load costs nothing and a point's work is its simulation's tasks") {
  CHECK(predicted_point_work(kGood + "/toy-prefill.yaml", {"batch=-3"}) == 0);
  const Scenario s = config::load_scenario(kGood + "/toy-prefill.yaml", {"batch=16"});
  const double tasks = replay_memory_need(generate_trace(s), s.exact).tasks;
  CHECK(tasks > 0);
  CHECK(predicted_point_work(kGood + "/toy-prefill.yaml", {"batch=16"}) == tasks);
}

TEST_CASE("clock text rounds to the second and shows hours past an hour") {
  CHECK(clock_text(0) == "0:00");
  CHECK(clock_text(65.4) == "1:05");
  CHECK(clock_text(3723) == "1:02:03");
}

}  // namespace podsim
