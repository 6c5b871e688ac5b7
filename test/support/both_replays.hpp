#pragma once
// The fast path's timing of a trace under the per-chip replay and under the folded one, for
// tests that hold the fold against its reference; restores the process's replay mode.

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

}  // namespace podsim::test
