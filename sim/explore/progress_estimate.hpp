#pragma once
// The estimate of the time a batch of simulations has left (the progress of `podsim compare` and
// `podsim sweep`, drawn by sim/cli/progress): before a point is run, its work is predicted from
// its size, the tasks of its first simulation round (program/task_budget's count, the one the
// memory check uses); the seconds per task are a prior until points finish, then the ratio of
// the finished points' wall times to their predicted work. A point still running counts what
// remains of its prediction.

#include <cstddef>
#include <string>
#include <vector>

namespace podsim {

// Predicted work of a point of `scenario` with `overrides` ("key=value", as given to --set): the
// tasks of its first simulation round, summed over the candidates of `ffn_layout: auto`; 0 when
// the point does not load (it is then refused without simulating and costs nothing).
double predicted_point_work(const std::string& scenario, const std::vector<std::string>& overrides);

// Wall seconds per predicted task before any point has finished: scripts/run.sh's eight PaLM
// 540B runs on 4x4x4 (about 5e5 tasks each, three decode steps of 1.7e5) took 19 s of CPU in
// all, about 5e-6 s per task; rounded down for an idle core. Only the first estimate uses it.
inline constexpr double kPriorSecondsPerTask = 4e-6;

class EtaEstimate {
 public:
  // `work[i]`: the predicted work of point i; `parallel`: points run at once (at least 1).
  EtaEstimate(std::vector<double> work, int parallel);
  void started(std::size_t i, double at_s);
  void finished(std::size_t i, double at_s);
  // Seconds left at `now_s` (the clock of started/finished): what remains of the predicted work
  // of the points not finished, at the observed seconds per unit of work, over `parallel`.
  double remaining_s(double now_s) const;
  // The observed seconds per unit of work (the prior until a point with work has finished).
  double seconds_per_work() const;

 private:
  std::vector<double> work_;
  std::vector<double> start_s_;  // < 0: not started
  std::vector<bool> done_;
  double done_work_ = 0, done_seconds_ = 0;
  int parallel_ = 1;
};

// "1:05", "1:02:03" (rounded to the second).
std::string clock_text(double seconds);

}  // namespace podsim
