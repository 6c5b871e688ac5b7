// The progress of a run's simulations (core/progress_board): the board counts what forked
// children report through shared memory, and the time left follows from the observed seconds per
// task, worked out by hand here on made-up snapshots.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sim/core/env.hpp"
#include "sim/core/progress_board.hpp"

namespace {

using podsim::ProgressSnapshot;
using podsim::SimulationProgress;

SimulationProgress sim(const std::string& kind, std::uint64_t total, std::uint64_t done,
                       double start_s, double end_s = -1) {
  return SimulationProgress{kind, total, done, start_s, end_s};
}

}  // namespace

TEST_CASE("the time left is the rest of each batch at the observed seconds per task") {
  // Two decode simulations running since 0 s, half done at 5 s: 10 process-seconds for 1000
  // tasks, 0.01 s per task. Batch 1 has 500 tasks left in each (5 s); batch 2 holds two decode
  // simulations not started, 1000 tasks each as the started decode ones (10 s): 15 s in all.
  ProgressSnapshot snap;
  snap.round = 1;
  snap.parallel = 2;
  snap.now_s = 5;
  snap.simulations = {sim("decode", 1000, 500, 0), sim("decode", 1000, 500, 0),
                      sim("decode", 0, 0, -1), sim("decode", 0, 0, -1)};
  CHECK(podsim::progress_remaining_s(snap) == Approx(15.0));
  // One at a time: the running one's 500 tasks, then three of 1000 in turn... here with only the
  // first started: 5 s for 500 tasks, 0.01 s per task; 5 + 10 + 10 + 10 = 35 s.
  snap.parallel = 1;
  snap.simulations = {sim("decode", 1000, 500, 0), sim("decode", 0, 0, -1),
                      sim("decode", 0, 0, -1), sim("decode", 0, 0, -1)};
  CHECK(podsim::progress_remaining_s(snap) == Approx(35.0));
}

TEST_CASE("a simulation not started takes the tasks of its kind or else the mean") {
  // prefill 3000 tasks (ended after 3 s: 0.001 s per task with the decode one below), decode
  // 1000 running (500 done at 1 s into it). Observed: (3 + 1) s / 3500 tasks.
  ProgressSnapshot snap;
  snap.round = 2;
  snap.parallel = 1;
  snap.now_s = 4;
  snap.simulations = {sim("prefill", 3000, 3000, 0, 3), sim("decode", 1000, 500, 3),
                      sim("decode", 0, 0, -1), sim("transition", 0, 0, -1)};
  const double per_task = 4.0 / 3500;
  // Left: 500 of the running decode, 1000 for the next decode, and the mean of the started
  // ones' totals (2000) for the transition of a kind not seen yet.
  CHECK(podsim::progress_remaining_s(snap) == Approx((500 + 1000 + 2000) * per_task));
}

TEST_CASE("no time left is guessed before a task has finished") {
  ProgressSnapshot snap;
  snap.parallel = 2;
  snap.now_s = 1;
  snap.simulations = {sim("decode", 1000, 0, 0), sim("decode", 0, 0, -1)};
  CHECK(podsim::progress_remaining_s(snap) < 0);
}

TEST_CASE("forked children report their tasks to the board of the parent") {
  const podsim::ProgressBoard board;
  podsim::progress_round({"prefill", "decode", "decode"}, 2);
  std::vector<std::function<std::vector<double>()>> works;
  const std::uint64_t totals[] = {1000, 300, 301};
  for (int k = 0; k < 3; ++k)
    works.push_back([k, &totals]() {
      podsim::progress_slot(k);
      podsim::progress_begin(totals[k]);
      for (std::uint64_t i = 0; i < totals[k]; ++i) podsim::progress_add(1);
      podsim::progress_end();
      return std::vector<double>{};
    });
  podsim::run_in_children(works, 2);
  const ProgressSnapshot snap = board.snapshot();
  CHECK(snap.round == 1);
  CHECK(snap.parallel == 2);
  REQUIRE(snap.simulations.size() == 3);
  for (int k = 0; k < 3; ++k) {
    INFO(k);
    CHECK(snap.simulations[k].kind == (k == 0 ? "prefill" : "decode"));
    CHECK(snap.simulations[k].total == totals[k]);
    CHECK(snap.simulations[k].done == totals[k]);
    CHECK(snap.simulations[k].start_s >= 0);
    CHECK(snap.simulations[k].end_s >= snap.simulations[k].start_s);
  }
  CHECK(podsim::progress_remaining_s(snap) == Approx(0.0).margin(1e-12));
  // A new round clears the board.
  podsim::progress_round({"exact"}, 1);
  const ProgressSnapshot next = board.snapshot();
  CHECK(next.round == 2);
  REQUIRE(next.simulations.size() == 1);
  CHECK(next.simulations[0].total == 0);
  CHECK(next.simulations[0].start_s < 0);
}

TEST_CASE("without a board nothing is counted and nothing fails") {
  podsim::progress_round({"decode"}, 1);
  podsim::progress_begin(10);
  podsim::progress_add(10);
  podsim::progress_end();
  const podsim::ProgressBoard board;
  CHECK(board.snapshot().round == 0);
  CHECK(board.snapshot().simulations.empty());
}
