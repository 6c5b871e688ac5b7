#pragma once
// The fast path's timing of a trace under the per-chip replay and under the folded one, for
// tests that hold the fold against its reference; restores the process's replay mode.

#include <catch2/catch.hpp>

#include <utility>

#include "sim/explore/trace_replay.hpp"
#include "sim/program/fold.hpp"

namespace podsim::test {

// {per chip, folded}.
inline std::pair<TraceTiming, TraceTiming> simulate_both_replays(const Trace& trace) {
  const ReplayMode before = process_replay_mode();
  set_process_replay_mode(ReplayMode::per_chip);
  TraceTiming per_chip = simulate_trace(trace, false);
  set_process_replay_mode(ReplayMode::folded);
  TraceTiming folded = simulate_trace(trace, false);
  set_process_replay_mode(before);
  return {std::move(per_chip), std::move(folded)};
}

// Checks that the two replays ran as named and that every step of the folded one takes the
// per-chip one's time to 1e-12 (relative).
inline void check_steps_equal(const TraceTiming& per_chip, const TraceTiming& folded) {
  CHECK(per_chip.replay == "per-chip");
  CHECK(folded.replay == "folded");
  REQUIRE(folded.step_s.size() == per_chip.step_s.size());
  for (std::size_t i = 0; i < per_chip.step_s.size(); ++i) {
    INFO("step " << i);
    CHECK(folded.step_s[i] == Approx(per_chip.step_s[i]).epsilon(1e-12));
  }
}

}  // namespace podsim::test
