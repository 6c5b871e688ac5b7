#pragma once
// Progress of the commands that run many simulations (compare, sweep), and of the simulations of
// one run (run, replay): a line on stderr with what is done and an estimate of the time left,
// redrawn in place on a terminal. Shown only when
// stderr is a terminal or --progress asks for it; never written into an output (stdout, -o).
// The estimate of the time left is explore/progress_estimate's.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/progress_board.hpp"
#include "sim/explore/point_runner.hpp"
#include "sim/explore/progress_estimate.hpp"

namespace podsim::cli {

// --progress (a global option): show progress even when stderr is not a terminal.
void set_progress_forced(bool forced);
// Whether progress is shown: stderr is a terminal, or --progress.
bool progress_wanted();
// Whether stderr is a terminal (progress is then redrawn in place).
bool stderr_is_terminal();

// The progress line of compare and sweep: "[#####.....] 3/6 points (2 ok, 1 invalid), 0:41
// elapsed, ~1:20 remaining". Points are identified by their position in `work`.
class PointsProgress {
 public:
  // `warn`: when progress is not shown, still print the line of a point without a result.
  PointsProgress(std::string what, std::vector<double> work, int parallel, bool warn);
  ~PointsProgress();
  PointsProgress(const PointsProgress&) = delete;
  PointsProgress& operator=(const PointsProgress&) = delete;
  void started(std::size_t i);
  // A point ended with `status` (ok, no-fit, invalid, failed); `line` is printed on its own line
  // when the progress is not redrawn in place (a log).
  void finished(std::size_t i, const std::string& status, const std::string& line);
  void tick();

 private:
  double now_s() const;
  void draw();
  std::string what_;
  EtaEstimate eta_;
  std::size_t total_, done_ = 0;
  std::map<std::string, std::size_t> by_status_;
  bool shown_, in_place_, warn_;
  std::chrono::steady_clock::time_point start_;
};

// The progress of one `podsim run` or `podsim replay`: the tasks its simulations have finished
// (counted by the replay on core/progress_board, in this process and in the forked children of
// the fast path) against their task counts, and the time left in the current round of
// simulations (progress_remaining_s: the observed seconds per task). On a terminal a line redrawn
// every half second once the run has taken a second; with --progress in a log, a line per
// finished simulation. Does nothing when progress is not wanted.
class RunProgress {
 public:
  RunProgress();
  ~RunProgress();
  RunProgress(const RunProgress&) = delete;
  RunProgress& operator=(const RunProgress&) = delete;

 private:
  void loop();
  std::unique_ptr<ProgressBoard> board_;
  bool in_place_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

// The line of a run's progress at `snapshot`, `elapsed_s` into the run: "round 1 (3 simulations,
// 2 at a time): [######....] 61% of 1.2M tasks, 1 of 3 done, 0:07 elapsed, ~0:04 left in the
// round".
std::string run_progress_line(const ProgressSnapshot& snapshot, double elapsed_s);

}  // namespace podsim::cli
