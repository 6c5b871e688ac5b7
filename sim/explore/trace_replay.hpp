#pragma once
// Simulating a whole trace: the step durations of a run, exact or fast.
//
// exact: every layer of every step in one simulation (this process creates the SimGrid engine).
// fast (sim/README.md §7): two shortcuts, both proven against the exact path by tests —
//  - periodic layers: each repeated layer is simulated kSampledRepeats times and the rest
//    extrapolated from the last period (trace_program.hpp);
//  - the cache's linear growth: decode steps differ only by their context length, so their time is
//    piecewise linear in it. The first, middle and last decode steps are simulated; an interval is
//    accepted when its simulated midpoint lies within kLinearTolerance of the straight line, else
//    it is split and its halves' midpoints simulated, until intervals are linear or fully sampled.
//    Steps inside accepted intervals are interpolated. The mixed steps with a full chunk
//    (phase mixed: one more position for the batch and chunk_tokens more for the prompt each
//    step) are a second such run; the last, shorter chunk is simulated on its own.
//  Each round of simulations runs in a forked process (run_in_child), so this process never
//  creates an engine on the fast path.

#include <string>
#include <vector>

#include "sim/program/program.hpp"
#include "sim/report/timeline.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// Relative distance from the straight line below which a run of decode steps counts as linear.
inline constexpr double kLinearTolerance = 1e-4;

struct TraceTiming {
  std::vector<Seconds> step_s;  // per trace step
  std::string path;             // what was simulated and what extrapolated, for the report
  int simulated_steps = 0;
  std::uint64_t transfers = 0;  // point-to-point messages simulated, all rounds
  // Which replay ran (fold.hpp): "folded", "per-chip", or "folded and per-chip" when the
  // simulations of the fast path differed.
  std::string replay = "per-chip";
  // Folded: the most representatives any of its simulations replayed (fold.hpp's FoldGroup: 1
  // where every axis folds, one per coordinate of the unfolded axes otherwise); 0 per chip.
  int representatives = 0;
};

// How many simulation processes simulate_trace's fast path runs at once (at least 1; default 2).
// The CLI sets it from -j, and a sweep gives each point its share of the sweep's -j, so that
// -j N means N simulation processes in all.
void set_parallel_simulations(int processes);
int parallel_simulations();

// Throws InputError (before any simulation) for a collective the slice cannot run.
TraceTiming simulate_trace(const Trace& trace, bool exact);

// A capture above this many trace events (~150 bytes each in the Perfetto file) is refused up
// front unless the caller raises the limit (--timeline-max-events).
inline constexpr long long kDefaultMaxTimelineEvents = 1'500'000;

// What a timeline capture of a run keeps (`podsim run --perfetto/--html` and its --timeline-*
// options; errors name those options).
struct TimelineCapture {
  TimelineFilter filter;  // chips and time window, checked against the size limit
  std::string steps;      // trace steps captured, "A:B"; empty: every step when the scenario is
                          // exact, else the first step of each phase
  std::string layers;     // layer instances kept among the captured steps, "A:B"; empty: all
  long long max_events = kDefaultMaxTimelineEvents;
};

struct CapturedRun {
  TraceTiming timing;  // the step times of the whole trace, as simulate_trace gives them
  Timeline timeline;   // what the captured steps did, cut to capture.layers (not to the filter)
};

// The step times of the trace and a timeline of the captured steps, from an in-process
// simulation: exact, the one simulation of the whole trace; fast, the metrics from
// simulate_trace's forked rounds, then the captured steps simulated in this process (fast path
// layers). Throws InputError before simulating when the capture would exceed max_events.
// Requires that this process has not started a SimGrid engine.
CapturedRun simulate_with_timeline(const Trace& trace, const TimelineCapture& capture);

// Throws InputError (--timeline-max-events) when a capture of `program` under `filter` would
// exceed `max_events`; `step_options` says whether steps or layers were chosen (the message
// then suggests fewer), `what` names the simulation.
void check_capture_size(const Program& program, const TimelineFilter& filter,
                        long long max_events, bool step_options, const std::string& what);

}  // namespace podsim
