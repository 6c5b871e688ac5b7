#pragma once
// Simulating a whole trace: the step durations of a run, exact or fast.
//
// exact: every layer of every step in one simulation (this process creates the SimGrid engine).
// fast (DESIGN.md §7): two shortcuts, both proven against the exact path by tests —
//  - periodic layers: each repeated layer is simulated kSampledRepeats times and the rest
//    extrapolated from the last period (trace_program.hpp);
//  - the cache's linear growth: decode steps differ only by their context length, so their time is
//    piecewise linear in it. The first, middle and last decode steps are simulated; an interval is
//    accepted when its simulated midpoint lies within kLinearTolerance of the straight line, else
//    it is split and its halves' midpoints simulated, until intervals are linear or fully sampled.
//    Steps inside accepted intervals are interpolated.
//  Each round of simulations runs in a forked process (run_in_child), so this process never
//  creates an engine on the fast path.

#include <string>
#include <vector>

#include "sim/workload/trace.hpp"

namespace podsim {

// Relative distance from the straight line below which a run of decode steps counts as linear.
inline constexpr double kLinearTolerance = 1e-4;

struct TraceTiming {
  std::vector<Seconds> step_s;  // per trace step
  std::string path;             // what was simulated and what extrapolated, for the report
  int simulated_steps = 0;
  std::uint64_t transfers = 0;  // point-to-point messages simulated, all rounds
};

// Throws InputError (before any simulation) for a collective the slice cannot run.
TraceTiming simulate_trace(const Trace& trace, bool exact);

}  // namespace podsim
