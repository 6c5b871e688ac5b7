#pragma once
// Runs many variants of one scenario, N at a time, each simulation in its own process (SimGrid
// keeps global state, sim/README.md §7): `podsim run SCENARIO --set k=v ... --json FILE`, spawned
// from self_executable() (env.hpp, which owns the processes). Used by `podsim sweep` and
// `podsim compare`.
//
// Before spawning, each point is loaded and its memory planned in this process (pure C++, no
// SimGrid), so that an invalid point or one that does not fit becomes a row with its reason and
// its memory numbers without a simulation. A simulation process that exits non-zero becomes a
// row with the last line of its stderr as the reason.

#include <functional>
#include <string>
#include <vector>

#include "sim/report/sweep_table.hpp"

namespace podsim {

struct PointTask {
  std::size_t index = 0;               // 1-based grid position, copied to the result
  std::string point;                   // the point's id, copied to the result
  std::vector<std::string> overrides;  // "key=value", as given to --set
};

// Told about progress, in the runner's thread.
struct PointObserver {
  virtual ~PointObserver() = default;
  // The simulation of tasks[task] (its position in run_points' list) has started.
  virtual void started(std::size_t task) { (void)task; }
  // A point is done (any status, result.index the task's index); `seconds` is its wall time.
  virtual void finished(const PointResult& result, double seconds) = 0;
  // Called about twice a second while points run (to redraw a progress bar).
  virtual void tick() {}
};

struct PointRunOptions {
  std::string scenario;  // the base scenario file
  int jobs = 1;          // simulation processes in all (points at once x each point's -j)
  // The requested value of a description column for a point that did not load (task, column).
  std::function<std::string(const PointTask&, const std::string&)> requested;
};

// Runs every task; returns the results of the points that finished, in task order.
// SIGINT/SIGTERM stop the run: running simulations are ended, their points left out, and
// `interrupted` is set. Requires that this process has not started a SimGrid Engine.
std::vector<PointResult> run_points(const std::vector<PointTask>& tasks,
                                    const PointRunOptions& options, PointObserver* observer,
                                    bool& interrupted);

}  // namespace podsim
